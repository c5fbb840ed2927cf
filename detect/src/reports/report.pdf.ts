import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
}

/**
 * Prints the self-contained HTML report to A4 with headless Chromium. The page may not reach the
 * network (the report needs nothing from it); printing waits for `body[data-ready]`, which the report
 * sets once Chart.js (animation off) has drawn every chart.
 */
export async function renderPdf(html: string, opts: { chromiumPath: string; timeoutMs?: number }): Promise<Buffer> {
  if (!existsSync(opts.chromiumPath)) {
    throw new ChromiumMissingError(`cannot print the PDF: no Chromium at ${opts.chromiumPath} (set CHROMIUM_PATH to a Chromium or Chrome executable)`);
  }
  const timeout = opts.timeoutMs ?? 60_000;
  let browser;
  try {
    browser = await chromium.launch({ executablePath: opts.chromiumPath, args: CHROMIUM_ARGS, timeout });
  } catch (err) {
    throw new ChromiumMissingError(`cannot print the PDF: Chromium at ${opts.chromiumPath} (CHROMIUM_PATH) did not start: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const context = await browser.newContext({ javaScriptEnabled: true, offline: true });
    const page = await context.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load', timeout });
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout });
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
