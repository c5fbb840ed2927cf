import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appSchema } from './app.schema.ts';
import { Catalog, CUSTOM_APP_PREFIX, loadCatalog } from './index.ts';

const catalog = loadCatalog();
const nonAi = readFileSync(new URL('../test-data/non-ai-domains.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('the shipped catalog', () => {
  it('classifies none of 300+ popular non-AI destinations', () => {
    expect(nonAi.length).toBeGreaterThanOrEqual(300);
    const hits = nonAi
      .map((host) => ({ host, app: catalog.matcher.match({ host })?.app.id ?? null }))
      .filter((h) => h.app !== null);
    expect(hits).toEqual([]);
  });

  it('classifies the flagship apps and their API signatures', () => {
    const m = (host: string, url?: string, method?: string) => catalog.matcher.match({ host, url: url ?? null, method: method ?? null });
    expect(m('chatgpt.com')?.app.id).toBe('chatgpt');
    expect(m('CHATGPT.COM.')?.app.id).toBe('chatgpt');
    expect(m('chatgpt.com:443')?.app.id).toBe('chatgpt');
    expect(m('claude.ai')?.app.id).toBe('claude');
    expect(m('api.anthropic.com', 'https://api.anthropic.com/v1/messages', 'POST')?.activity).toBe('api-inference');
    expect(m('api.openai.com', 'https://api.openai.com/v1/chat/completions', 'POST')).toMatchObject({ activity: 'api-inference', matchedBy: 'signature' });
    expect(m('chatgpt.com', 'https://chatgpt.com/backend-api/files', 'POST')?.activity).toBe('upload');
    expect(m('gemini.google.com')?.app.id).toBe('google-gemini');
    expect(m('104.18.32.47')).toBeNull();
  });

  it('matches shared infrastructure only through specific hosts', () => {
    expect(catalog.matcher.match({ host: 'generativelanguage.googleapis.com' })?.app.id).toBe('gemini-api');
    expect(catalog.matcher.match({ host: 'storage.googleapis.com' })).toBeNull();
    expect(catalog.matcher.match({ host: 'myresource.openai.azure.com' })?.app.id).toBe('azure-openai');
    expect(catalog.matcher.match({ host: 'myapp.azurewebsites.net' })).toBeNull();
  });

  it('has a version that changes with its content', () => {
    expect(catalog.version).toMatch(/^\d{4}\.\d+\.\d+\+[0-9a-f]{16}$/);
    const custom = appSchema.parse({
      id: `${CUSTOM_APP_PREFIX}gateway`, name: 'Gateway', vendor: 'Us', category: 'llm-api', description: 'd',
      homepage: 'https://llm.corp.example', domains: [{ host: 'llm.corp.example', match: 'exact' }], references: ['https://llm.corp.example'],
    });
    const withCustom = catalog.withCustomApps([custom]);
    expect(withCustom.hash).not.toBe(catalog.hash);
    expect(withCustom.matcher.match({ host: 'llm.corp.example' })?.app.id).toBe('custom-gateway');
    expect(withCustom.withCustomApps([]).hash).toBe(catalog.hash);
    expect(new Catalog([...catalog.apps]).hash).toBe(catalog.hash);
  });
});
