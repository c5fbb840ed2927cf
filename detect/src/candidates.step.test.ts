import { describe, expect, it } from 'vitest';
import { emptyEvent, type NormalizedEvent } from '@shadow-ai/core';
import { candidateSignals } from './candidates.step.ts';

const ev = (over: Partial<NormalizedEvent>): NormalizedEvent => ({ ...emptyEvent('proxy', 'squid', '2026-11-25T10:00:00.000Z'), ...over });

describe('candidateSignals', () => {
  it('flags an unknown host serving an LLM API path, with its score', () => {
    expect(candidateSignals(ev({ host: 'llm.internal-tools.example', method: 'POST', url: 'https://llm.internal-tools.example/v1/chat/completions' }))).toEqual({
      signals: ['ai-keyword-host', 'llm-api-path'],
      score: 7,
    });
    expect(candidateSignals(ev({ host: 'models.example.net', method: 'POST', url: 'https://models.example.net/v1beta/models/x:streamGenerateContent' }))?.signals).toEqual([
      'llm-api-path',
    ]);
    expect(candidateSignals(ev({ host: 'gpu-box.example.net', method: 'POST', url: 'http://gpu-box.example.net/api/generate' }))?.signals).toEqual(['llm-api-path']);
  });

  it('flags AI SDK user agents and MCP endpoints', () => {
    expect(candidateSignals(ev({ host: 'api.newvendor.example', url: 'https://api.newvendor.example/x', userAgent: 'OpenAI/Python 1.54.4' }))).toEqual({
      signals: ['ai-sdk-user-agent'],
      score: 4,
    });
    expect(candidateSignals(ev({ host: 'tools.example.com', method: 'POST', url: 'https://tools.example.com/mcp' }))?.signals).toEqual(['mcp-path']);
    expect(candidateSignals(ev({ host: 'tools.example.com', method: 'GET', url: 'https://tools.example.com/mcp' }))).toBeNull();
  });

  it('counts an AI term in a host label but not the .ai TLD alone', () => {
    expect(candidateSignals(ev({ kind: 'dns', host: 'genai.example.org' }))).toEqual({ signals: ['ai-keyword-host'], score: 2 });
    expect(candidateSignals(ev({ kind: 'dns', host: 'brandname.ai' }))).toBeNull();
    expect(candidateSignals(ev({ kind: 'dns', host: 'chat-gpt.example.ai' }))).toEqual({ signals: ['ai-tld', 'ai-keyword-host'], score: 3 });
  });

  it('flags self-hosted model servers by their default port', () => {
    expect(candidateSignals(ev({ host: 'gpu01.corp.example', destPort: 11434, method: 'POST', url: 'http://gpu01.corp.example:11434/api/chat' }))).toEqual({
      signals: ['llm-api-path', 'model-server-port'],
      score: 8,
    });
  });

  it('ignores ordinary traffic', () => {
    expect(candidateSignals(ev({ host: 'www.wikipedia.org', url: 'https://www.wikipedia.org/wiki/Main_Page', userAgent: 'Mozilla/5.0' }))).toBeNull();
    expect(candidateSignals(ev({ host: 'mail.example.com', url: 'https://mail.example.com/v1/messages/inbox' }))).toBeNull();
    expect(candidateSignals(ev({ host: null }))).toBeNull();
    expect(candidateSignals(ev({ host: 'claudeusercontent.example' }))).toBeNull();
  });
});
