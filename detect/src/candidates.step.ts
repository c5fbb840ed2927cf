import { pathOf } from '@shadow-ai/catalog';
import type { NormalizedEvent } from '@shadow-ai/core';

/**
 * Discovery of AI services the catalog does not list yet. A destination the catalog does not know is
 * a candidate when its traffic shows signals of AI use. Weights (a candidate needs a score of 2):
 *
 *   llm-api-path        5  a request path of a well-known LLM API shape (/v1/chat/completions, /v1/messages,
 *                          /v1/embeddings, /v1/responses, …:generateContent, Ollama's /api/generate and /api/chat,
 *                          text-generation-inference's /generate_stream; vLLM and LM Studio serve the /v1 paths)
 *   ai-sdk-user-agent   4  the user agent of an AI SDK or framework (OpenAI, Anthropic, Google GenAI, Mistral,
 *                          LangChain, LlamaIndex, LiteLLM, Vercel AI SDK, Ollama clients)
 *   mcp-path            4  a POST to an MCP endpoint path (/mcp, /sse)
 *   model-server-port   3  a connection to a self-hosted model server's default port (Ollama 11434)
 *   ai-keyword-host     2  a host label that is an AI term (ai, gpt, llm, copilot, genai, chatbot, …)
 *   ai-tld              1  a host under .ai (weak on its own: many .ai sites are not AI services)
 */
export const CANDIDATE_SIGNALS = {
  'llm-api-path': 5,
  'ai-sdk-user-agent': 4,
  'mcp-path': 4,
  'model-server-port': 3,
  'ai-keyword-host': 2,
  'ai-tld': 1,
} as const;

export type CandidateSignal = keyof typeof CANDIDATE_SIGNALS;
export const CANDIDATE_MIN_SCORE = 2;

const LLM_PATH =
  /^\/(?:api\/|openai\/|inference\/)?v\d+(?:beta\d*|alpha)?\/(?:chat\/completions|completions|messages(?:\/count_tokens|\/batches)?|embeddings|responses|images\/generations|audio\/(?:speech|transcriptions))$|:(?:stream)?[gG]enerateContent$|^\/api\/(?:generate|chat|embed|embeddings|pull)$|^\/generate_stream$/;
/** Default ports of self-hosted model servers whose protocol is not otherwise visible (Ollama). */
const MODEL_SERVER_PORTS = new Set([11434]);
const MCP_PATH = /^\/(?:mcp|sse)(?:\/|$)/;
const SDK_UA =
  /(?:^|[\s(;])(?:OpenAI\/|AsyncOpenAI\/|openai-python|openai-node|Anthropic\/|anthropic-(?:sdk|typescript|python)|google-genai|GoogleGenerativeAI|mistralai|langchain|LangChain|llama[-_]index|litellm|ai-sdk\/|ollama-(?:python|js)|ollama\/)/i;
const AI_TOKENS = new Set(['ai', 'gpt', 'llm', 'llms', 'genai', 'chatbot', 'copilot', 'openai', 'anthropic', 'claude', 'gemini', 'llama', 'ollama', 'mistral', 'diffusion', 'inference', 'agentic']);
const TOKEN_SPLIT = /[.-]/;

export interface CandidateMatch {
  signals: (CandidateSignal | 'doh-resolver')[];
  score: number;
}

/** Signals of AI use in an event whose destination the catalog did not recognise; null when none. */
export function candidateSignals(event: NormalizedEvent): CandidateMatch | null {
  const host = event.host;
  if (!host) return null;
  const signals: CandidateSignal[] = [];
  const labels = host.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === 'ai') signals.push('ai-tld');
  // The TLD itself is not a keyword hit: "ai" as a label counts only below it.
  const below = labels.slice(0, -1);
  if (below.some((l) => l.split(TOKEN_SPLIT).some((t) => AI_TOKENS.has(t)))) signals.push('ai-keyword-host');
  if (event.url) {
    const path = pathOf(event.url);
    if (path !== null) {
      if (LLM_PATH.test(path)) signals.push('llm-api-path');
      if (event.method === 'POST' && MCP_PATH.test(path)) signals.push('mcp-path');
    }
  }
  if (event.userAgent && SDK_UA.test(event.userAgent)) signals.push('ai-sdk-user-agent');
  if (event.destPort !== null && MODEL_SERVER_PORTS.has(event.destPort)) signals.push('model-server-port');
  if (signals.length === 0) return null;
  const score = signals.reduce((s, k) => s + CANDIDATE_SIGNALS[k], 0);
  return score >= CANDIDATE_MIN_SCORE ? { signals, score: Math.min(score, 255) } : null;
}

/** Whether a user agent is an AI SDK's or agent framework's: programmatic use of an AI app. */
export function isAiSdkUserAgent(ua: string | null): boolean {
  return ua !== null && SDK_UA.test(ua);
}

/**
 * Public DNS-over-HTTPS resolvers (their documented DoH endpoints). Clients using them hide their
 * lookups from the organisation's DNS logs, so DNS-based detection and blocking do not see them.
 */
export const DOH_RESOLVERS = new Set([
  'dns.google',
  'cloudflare-dns.com',
  'mozilla.cloudflare-dns.com',
  'dns.quad9.net',
  'doh.opendns.com',
  'dns.nextdns.io',
  'dns.adguard-dns.com',
  'doh.cleanbrowsing.org',
]);
