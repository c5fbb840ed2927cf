import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, getJson, REPO_ROOT, removeDir, startService, tempDir, TEST_ADMIN_TOKEN, type Service } from '../support/service.ts';

interface FileSums {
  file: string;
  format: string;
  batches: number;
  lines: number;
  parsed: number;
  stored: number;
  skipped: number;
  rejected: number;
}

/** Runs the CLI without blocking the event loop (the service under test is another process). */
function replay(args: string[], env: Record<string, string | undefined> = { SHADOW_AI_API_KEY: TEST_ADMIN_TOKEN }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'replay', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SHADOW_AI_API_KEY: undefined, SHADOW_AI_ADMIN_TOKEN: undefined, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sums = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as FileSums);

describe('shadow-ai replay into a running service', () => {
  const dir = tempDir('replay');
  let service: Service;

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  const totalRequests = async () =>
    (await getJson<{ items: { requests: number }[] }>(`${service.url}/v1/apps`)).body.items.reduce((n, a) => n + a.requests, 0);

  it('sends a file in batches, and a second replay stores nothing twice', async () => {
    const first = await replay(['test/fixtures/squid-access.log', '--to', service.url, '--batch-bytes', '1024', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const [a] = sums(first.stdout);
    expect(a).toMatchObject({ file: 'test/fixtures/squid-access.log', format: 'squid', rejected: 0, skipped: 0 });
    expect(a!.batches).toBeGreaterThan(4);
    expect(a!.parsed).toBe(a!.lines);
    expect(a!.stored).toBeGreaterThan(0);
    expect(await totalRequests()).toBe(a!.stored);

    const again = await replay(['test/fixtures/squid-access.log', '--to', service.url, '--batch-bytes', '1024', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    const [b] = sums(again.stdout);
    expect(b).toMatchObject({ batches: a!.batches, parsed: a!.parsed, stored: 0 });
    expect(b!.skipped).toBeGreaterThanOrEqual(a!.stored);
    expect(await totalRequests()).toBe(a!.stored);
  });

  it('sends the header in force with every batch of a format whose lines depend on it', async () => {
    const r = await replay(['test/fixtures/formats/zeek-http.log', '--to', service.url, '--format', 'auto', '--batch-bytes', '1024', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const [s] = sums(r.stdout);
    expect(s!.format).toBe('zeek-http');
    expect(s!.batches).toBeGreaterThan(2);
    // 12 data lines; without the #fields header the later batches could not be read (11 rejected).
    expect(s!.parsed).toBe(12);
    expect(s!.rejected).toBe(0);
  });

  it('stops with a clear error on a refused credential, an unreachable service or a missing credential', async () => {
    const bad = await replay(['test/fixtures/squid-access.log', '--to', service.url, '--quiet'], { SHADOW_AI_API_KEY: 'saw_000000000000_' + 'A'.repeat(43) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused a batch: 401/);

    const down = await replay(['test/fixtures/squid-access.log', '--to', 'http://127.0.0.1:9', '--quiet']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);

    const none = await replay(['test/fixtures/squid-access.log', '--to', service.url], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/SHADOW_AI_API_KEY/);
  });
});
