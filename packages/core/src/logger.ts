import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets anywhere in a logged object. */
const REDACT = [
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization',
  'headers.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]', 'apiKey', '*.apiKey',
  'sasl', '*.sasl', 'clickhouseUrl', '*.clickhouseUrl',
];

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'shadow-ai',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Removes user:password from a URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
