import { describe, expect, it } from 'vitest';
import { createProgress, formatAmount, formatDuration } from './progress.ts';

/** A fake stderr and clock: what was written, and time that moves only when the test says so. */
function fake() {
  const chunks: string[] = [];
  let t = 1_000_000;
  return { chunks, write: (s: string) => chunks.push(s), now: () => t, tick: (ms: number) => (t += ms) };
}

describe('progress on a terminal', () => {
  it('redraws one line with bar, percent, count, rate and ETA, at most every 100 ms', () => {
    const f = fake();
    const p = createProgress({ label: 'scan', total: 1000, unit: 'items', write: f.write, tty: true, columns: 100, now: f.now });
    f.tick(1000);
    p.update(250);
    f.tick(50);
    p.update(300); // within 100 ms of the last redraw: not drawn
    f.tick(60);
    p.update(500);
    expect(f.chunks).toHaveLength(2);
    for (const c of f.chunks) {
      expect(c.startsWith('\r')).toBe(true);
      expect(c.endsWith('\x1b[K')).toBe(true);
      expect(c).not.toContain('\n');
    }
    expect(f.chunks[0]).toMatch(/^\rscan {2}\[#+-+\] {2} 25% {2}250\/1000 {2}250\/s {2}ETA 3s\x1b\[K$/);
    expect(f.chunks[1]).toContain(' 50%');
    expect(f.chunks[1]).toContain('500/1000');
    p.finish();
    expect(f.chunks.at(-1)).toMatch(/^\rscan .*500\/1000.* in 1s\x1b\[K\n$/);
  });

  it('fits the terminal width and shows bytes in binary units', () => {
    const f = fake();
    const p = createProgress({ label: 'scan', total: 10 * 1024 * 1024, unit: 'bytes', write: f.write, tty: true, columns: 60, now: f.now });
    f.tick(2000);
    p.update(5 * 1024 * 1024);
    expect(f.chunks[0]!.replace('\r', '').replace('\x1b[K', '').length).toBeLessThanOrEqual(59);
    expect(f.chunks[0]).toContain('5.0 MiB/10.0 MiB');
  });
});

describe('progress when piped', () => {
  it('writes plain lines every 10 % and a final summary, never carriage returns', () => {
    const f = fake();
    const p = createProgress({ label: 'scan', total: 100, write: f.write, tty: false, now: f.now });
    f.tick(2000);
    for (let i = 1; i <= 100; i++) p.update(i);
    p.finish();
    const lines = f.chunks.join('').split('\n').filter(Boolean);
    expect(f.chunks.join('')).not.toContain('\r');
    expect(lines[0]).toBe('scan: 1% 1/100 1/s ETA 3m18s');
    expect(lines.filter((l) => /^scan: \d+% /.test(l)).map((l) => Number(/(\d+)%/.exec(l)![1]))).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100]);
    expect(lines.at(-1)).toMatch(/^scan: 100% 100\/100 \d+\/s done in 2s$/);
  });

  it('stays silent for work that ends quickly', () => {
    const f = fake();
    const p = createProgress({ label: 'scan', total: 10, write: f.write, tty: false, now: f.now });
    f.tick(200);
    p.update(10);
    p.finish();
    expect(f.chunks).toEqual([]);
  });

  it('reports every few seconds when the percentage moves slowly, and without a total', () => {
    const f = fake();
    const p = createProgress({ label: 'report', total: null, write: f.write, tty: false, now: f.now, everyMs: 5000 });
    f.tick(1500);
    p.update(1, 'query');
    f.tick(1000);
    p.update(2, 'render');
    f.tick(5000);
    p.update(3, 'store');
    expect(f.chunks).toEqual(['report: 1 1/s query\n', 'report: 3 0/s store\n']);
  });
});

describe('formatting', () => {
  it('formats amounts and durations', () => {
    expect(formatAmount(512, 'bytes')).toBe('512 B');
    expect(formatAmount(1536, 'bytes')).toBe('1.5 KiB');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
