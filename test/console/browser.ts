import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/service.ts';

/** The console's browser tests drive Debian's Chromium; they fail, never skip, without it. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(REPO_ROOT, 'test/artifacts/console');

/** A browser page that records everything that went wrong while it was used. */
export interface Watched {
  page: Page;
  context: BrowserContext;
  problems: string[];
}

/** Builds the console from the sources (so the tests never check a stale build) and starts Chromium. */
export async function launchConsoleBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the console tests drive Debian's Chromium (apt-get install chromium); they do not skip without it`);
  }
  execFileSync('npm', ['run', 'build', '-w', '@shadow-ai/dashboards'], { cwd: REPO_ROOT, stdio: 'pipe' });
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens `path` of the console at `baseUrl` in a fresh context and, unless told not to, signs in with `token`. */
export async function openConsole(browser: Browser, baseUrl: string, token: string, path: string, opts: { signIn?: boolean } = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await page.goto(`${baseUrl}${path}`);
  if (opts.signIn !== false) {
    await page.getByLabel('API key or bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    // Let the first page's requests finish: a test that navigates on at once would abort them
    // (ERR_ABORTED, counted as a problem) on a loaded machine, and only there.
    await page.waitForLoadState('networkidle');
  }
  return { page, context, problems };
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
