/** A CLI usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  /** buffered; call flush() to hand it to the stream */
  out: (s: string) => void;
  err: (s: string) => void;
  /** writes what out() buffered and waits while the reader is slow, so memory stays bounded */
  flush: () => Promise<void>;
}

export function createStreamIo(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Io {
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    if (!stdout.write(text)) await new Promise<void>((resolve) => stdout.once('drain', () => resolve()));
  };
  return {
    out: (s) => {
      pending.push(s);
      size += s.length;
      if (size > 1 << 20) void flush();
    },
    err: (s) => void stderr.write(s),
    flush,
  };
}
