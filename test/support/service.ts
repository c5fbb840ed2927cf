import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/shadow-ai.mjs', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The admin bearer token every test service starts with (SHADOW_AI_ADMIN_TOKEN). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-for-shadow-ai-tests';

/** fetch with the test admin token, unless the caller sets its own Authorization header. */
export function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
  return fetch(url, { ...init, headers });
}

export interface Service {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait; resolves with the exit code */
  stop(): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `shadow-ai-${prefix}-`));
}

/**
 * Runs `shadow-ai start` as its own process (the embedded store allows one process per data
 * directory, and crash tests need a process they can kill), on a free port, and waits until it listens.
 * With `waitForListen: false` it resolves as soon as the process is spawned (for processes expected to exit).
 */
export async function startService(opts: {
  env?: Record<string, string>;
  dataDir?: string;
  waitForListen?: boolean;
  /** how long start-up may take (migrations and the first detection over a large store take longer) */
  listenTimeoutMs?: number;
}): Promise<Service> {
  const dataDir = opts.dataDir ?? tempDir('data');
  const proc = spawn(process.execPath, [CLI, 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SHADOW_AI_DATA_DIR: dataDir, LOG_LEVEL: 'info', SHADOW_AI_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const service: Service = {
    url: '',
    dataDir,
    proc,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const r = await exited;
      clearTimeout(timer);
      return r.code;
    },
  };
  if (opts.waitForListen === false) return service;
  const listenTimeoutMs = opts.listenTimeoutMs ?? 90_000;
  const deadline = Date.now() + listenTimeoutMs;
  while (Date.now() < deadline) {
    const m = /shadow-ai listening on (http:\/\/[^\s;]+)/.exec(out);
    if (m) {
      service.url = m[1]!;
      return service;
    }
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`shadow-ai start exited early (${proc.exitCode ?? proc.signalCode}):\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`shadow-ai start did not listen within ${listenTimeoutMs / 1000} s:\n${out.slice(-4000)}`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls until `check` returns a value that is not undefined, or fails with the last error. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await authFetch(url);
  return { status: res.status, body: (await res.json()) as T };
}
