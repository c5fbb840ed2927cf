/**
 * Progress of long CLI work on stderr (stdout carries data). On a terminal: one line redrawn with `\r`
 * (bar, percent, count, rate, ETA) at most every `redrawMs`. Piped: plain lines, one each time another
 * `everyPercent` is done or `everyMs` has passed, and nothing at all for work that ends within `quietMs`
 * (so logs of short runs stay clean).
 */
export interface ProgressOptions {
  label: string;
  /** total units, null when unknown (count and rate only) */
  total: number | null;
  unit?: 'bytes' | 'items';
  write: (s: string) => void;
  tty: boolean;
  /** terminal width; the bar shrinks to fit */
  columns?: number;
  now?: () => number;
  redrawMs?: number;
  everyPercent?: number;
  everyMs?: number;
  quietMs?: number;
}

export interface Progress {
  /** sets the amount done so far (and optionally what is being done) */
  update(done: number, detail?: string): void;
  add(n: number, detail?: string): void;
  /** ends the display: a final line on a terminal; a summary line when piped lines were written */
  finish(detail?: string): void;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatAmount(v: number, unit: 'bytes' | 'items'): string {
  if (unit === 'items') return String(Math.round(v));
  let x = v;
  let i = 0;
  while (x >= 1024 && i < BYTE_UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(x)} B` : `${x.toFixed(1)} ${BYTE_UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => Date.now());
  const unit = opts.unit ?? 'items';
  const redrawMs = opts.redrawMs ?? 100;
  const everyPercent = opts.everyPercent ?? 10;
  const everyMs = opts.everyMs ?? 5000;
  const quietMs = opts.quietMs ?? 1000;
  const start = now();
  let done = 0;
  let detail = '';
  let lastDraw = -Infinity;
  let lastLine = start;
  let lastPercentStep = 0;
  let printed = false;
  let finished = false;

  const stats = () => {
    const elapsed = Math.max(0, (now() - start) / 1000);
    const rate = elapsed > 0 ? done / elapsed : 0;
    const percent = opts.total ? Math.min(100, (done / opts.total) * 100) : null;
    const eta = opts.total && rate > 0 ? (opts.total - done) / rate : null;
    return { elapsed, rate, percent, eta };
  };

  const countText = () => (opts.total === null ? formatAmount(done, unit) : `${formatAmount(done, unit)}/${formatAmount(opts.total, unit)}`);
  const rateText = (rate: number) => `${formatAmount(rate, unit)}/s`;

  function ttyLine(final: boolean): string {
    const { rate, percent, eta, elapsed } = stats();
    const parts = [opts.label];
    const tail = [
      percent === null ? null : `${percent.toFixed(0).padStart(3)}%`,
      countText(),
      rateText(rate),
      final ? `in ${formatDuration(elapsed)}` : eta === null ? null : `ETA ${formatDuration(eta)}`,
      detail || null,
    ].filter((p): p is string => p !== null);
    if (percent !== null) {
      const width = Math.max(10, Math.min(30, (opts.columns ?? 80) - opts.label.length - tail.join('  ').length - 8));
      const filled = Math.round((percent / 100) * width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`);
    }
    const line = [...parts, ...tail].join('  ');
    const max = (opts.columns ?? 80) - 1;
    return line.length > max ? line.slice(0, max) : line;
  }

  function plainLine(final: boolean): string {
    const { rate, percent, eta, elapsed } = stats();
    const bits = [
      `${opts.label}:`,
      percent === null ? null : `${percent.toFixed(0)}%`,
      countText(),
      rateText(rate),
      final ? `done in ${formatDuration(elapsed)}` : eta === null ? null : `ETA ${formatDuration(eta)}`,
      detail || null,
    ];
    return bits.filter((b): b is string => b !== null).join(' ');
  }

  function maybeDraw(): void {
    if (finished) return;
    const t = now();
    if (opts.tty) {
      if (t - lastDraw < redrawMs) return;
      lastDraw = t;
      // \x1b[K clears what a longer earlier line left behind.
      opts.write(`\r${ttyLine(false)}\x1b[K`);
      printed = true;
      return;
    }
    if (t - start < quietMs) return;
    const { percent } = stats();
    const step = percent === null ? 0 : Math.floor(percent / everyPercent);
    if ((percent !== null && step > lastPercentStep) || t - lastLine >= everyMs || !printed) {
      lastPercentStep = step;
      lastLine = t;
      printed = true;
      opts.write(`${plainLine(false)}\n`);
    }
  }

  return {
    update(n, d) {
      done = n;
      if (d !== undefined) detail = d;
      maybeDraw();
    },
    add(n, d) {
      this.update(done + n, d);
    },
    finish(d) {
      if (finished) return;
      if (d !== undefined) detail = d;
      if (opts.tty) opts.write(`\r${ttyLine(true)}\x1b[K\n`);
      else if (printed) opts.write(`${plainLine(true)}\n`);
      finished = true;
    },
  };
}

/** Progress on the process's stderr, drawn as a bar when it is a terminal; `quiet` draws nothing. */
export function stderrProgress(label: string, total: number | null, unit: 'bytes' | 'items', write: (s: string) => void, quiet = false): Progress {
  if (quiet) return { update() {}, add() {}, finish() {} };
  return createProgress({ label, total, unit, write, tty: process.stderr.isTTY === true, columns: process.stderr.columns ?? 80 });
}
