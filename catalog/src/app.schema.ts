import { z } from 'zod';

/** Version of the shipped catalog data; bump when apps/ changes in a release. */
export const CATALOG_VERSION = '2026.11.1';

/** Apps an organisation adds itself (its own LLM gateway, confirmed candidates) carry this id prefix. */
export const CUSTOM_APP_PREFIX = 'custom-';

export const CATEGORIES = [
  'chat-assistant', 'llm-api', 'code-assistant', 'image-generation', 'video-generation', 'voice-audio',
  'music-generation', 'writing', 'translation', 'meeting-assistant', 'ai-search', 'agent-platform',
  'model-hub', 'productivity', 'design', 'other',
] as const;

/** What a request to an AI app was for. `access` and `dns` are what a plain host match yields. */
export const ACTIVITIES = [
  'access', 'dns', 'chat', 'api-inference', 'upload', 'image-gen', 'video-gen', 'audio-gen', 'agent',
  'code-completion', 'search', 'mcp', 'login',
] as const;

export type Category = (typeof CATEGORIES)[number];
export type Activity = (typeof ACTIVITIES)[number];

const hostname = z
  .string()
  .min(3)
  .max(253)
  .regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'lowercase DNS name, no scheme, port, path or trailing dot');

/** A host with `*` standing for exactly one label, e.g. `bedrock-runtime.*.amazonaws.com`. */
const hostPattern = z
  .string()
  .min(3)
  .max(253)
  .regex(/^(?:(?:\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.)+[a-z0-9-]{2,63}$/, 'lowercase DNS name with * labels')
  .refine((h) => h.includes('*'), 'a pattern needs a * label')
  .refine((h) => !h.split('.').slice(-2).includes('*'), 'the last two labels of a pattern must be literal');

export const domainSchema = z.union([
  z.strictObject({
    host: hostname,
    /** `exact`: only this host; `suffix`: this host and every subdomain of it. */
    match: z.enum(['exact', 'suffix']),
  }),
  z.strictObject({
    host: hostPattern,
    /** `pattern`: hosts of this shape, `*` being one label (for per-region or per-resource hosts). */
    match: z.literal('pattern'),
  }),
]);

export const signatureSchema = z.strictObject({
  /**
   * The host the signature applies to: a host covered by one of the app's domains, or one of the app's
   * suffix/pattern domains itself (then it applies to every host that domain matches).
   */
  host: z.union([hostname, hostPattern]),
  /** Regular expression over the URL path (query string excluded). Anchored by the author. */
  path: z.string().min(2).max(300),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'ANY']).default('ANY'),
  userAgent: z.string().min(2).max(200).optional(),
  activity: z.enum(ACTIVITIES),
});

/** A fact about a vendor that is either known (with a reference) or honestly unknown. */
const tri = z.enum(['yes', 'no', 'unknown']);

/**
 * Risk attributes. `unknown` wherever the vendor's own documentation does not say; a known value needs a
 * page in `references` that states it. Scored by riskScore() in risk.ts.
 */
export const riskSchema = z.strictObject({
  /** ISO 3166-1 alpha-2 country of the vendor's headquarters */
  hqCountry: z.union([z.string().regex(/^[A-Z]{2}$/), z.literal('unknown')]).default('unknown'),
  /** Whether prompts/content of the default (consumer or self-serve) tier are used for training by default. */
  trainsOnCustomerData: z.enum(['yes', 'no', 'opt-out', 'unknown']).default('unknown'),
  /** Retention of customer content on the default tier. */
  retention: z.enum(['none', 'up-to-30-days', 'configurable', 'until-deleted', 'unknown']).default('unknown'),
  soc2: tri.default('unknown'),
  iso27001: tri.default('unknown'),
  /** A GDPR data processing agreement is offered. */
  gdprDpa: tri.default('unknown'),
  sso: tri.default('unknown'),
  scim: tri.default('unknown'),
  enterpriseTier: tri.default('unknown'),
  auditLogs: tri.default('unknown'),
  references: z.array(z.url()).default([]),
});

export type RiskAttributes = z.infer<typeof riskSchema>;

export const appSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'kebab-case id').max(64),
  name: z.string().min(1).max(100),
  vendor: z.string().min(1).max(100),
  category: z.enum(CATEGORIES),
  description: z.string().min(1).max(300),
  homepage: z.url(),
  domains: z.array(domainSchema).min(1),
  signatures: z.array(signatureSchema).default([]),
  /**
   * Autonomous systems that serve only this app's provider: lets IP-only logs (flows, firewall) be
   * classified by the destination's ASN when there is no host. Only for ASNs the provider alone uses.
   */
  asns: z.array(z.number().int().positive().max(4294967295)).default([]),
  /** Where the domains and facts were checked. */
  references: z.array(z.url()).min(1),
  risk: riskSchema.default(riskSchema.parse({})),
});

export type AppDomain = z.infer<typeof domainSchema>;
export type AppSignature = z.infer<typeof signatureSchema>;
export type CatalogApp = z.infer<typeof appSchema>;
