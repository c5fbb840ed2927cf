import { Catalog } from '@shadow-ai/catalog';
import { testApp } from '@shadow-ai/catalog/testing';
import { emptyEvent } from '@shadow-ai/core';
import { describe, expect, it } from 'vitest';
import { createClassifyStep } from './classify.step.ts';

const app = (id: string, host: string) => testApp(id, [{ host, match: 'suffix' }]);

function event(host: string) {
  const e = emptyEvent('proxy', 'squid', '2026-11-25T10:00:00.000Z');
  e.host = host;
  return e;
}

describe('classifyStep', () => {
  it('classifies with the catalog in force at each event, even for a host it has already seen', () => {
    const ref = { current: new Catalog([app('shipped', 'chat.example')]) };
    const classify = createClassifyStep({ catalog: ref });
    expect(classify(event('www.chat.example'))?.match.app.id).toBe('shipped');
    expect(classify(event('tool.internal.example'))).toBeNull();

    ref.current = ref.current.withCustomApps([app('custom-tool', 'internal.example')]);
    expect(classify(event('tool.internal.example'))).toMatchObject({
      match: { app: { id: 'custom-tool' } },
      catalogVersion: ref.current.version,
    });
    expect(classify(event('www.chat.example'))?.match.app.id).toBe('shipped');

    ref.current = ref.current.withCustomApps([]);
    expect(classify(event('tool.internal.example'))).toBeNull();
  });
});
