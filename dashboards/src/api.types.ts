/** Response shapes of the API routes the console reads (see /docs/json). */

export type FindingStatus = 'open' | 'acknowledged' | 'resolved' | 'suppressed';
export const FINDING_STATUSES: readonly FindingStatus[] = ['open', 'acknowledged', 'resolved', 'suppressed'];
/** Mirrors the API's workflow, so the console offers only transitions the API accepts. */
export const TRANSITIONS: Record<FindingStatus, readonly FindingStatus[]> = {
  open: ['acknowledged', 'resolved', 'suppressed'],
  acknowledged: ['open', 'resolved', 'suppressed'],
  resolved: ['open'],
  suppressed: ['open'],
};
export type Sanction = 'sanctioned' | 'monitored' | 'unsanctioned' | 'blocked';

export interface Me {
  actor: string;
  role: 'viewer' | 'analyst' | 'admin';
  via: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** matches of the filters, where the list counts them (the first page of findings) */
  total?: number;
}

export interface Finding {
  id: string;
  type: string;
  title: string;
  user: string;
  key: string;
  appId: string;
  appName: string | null;
  category: string | null;
  sanction: string;
  severity: number;
  status: FindingStatus;
  assignee: string | null;
  firstSeen: string;
  lastSeen: string;
  requests: number;
  bytesOut: number;
  bytesIn: number;
  updatedAt: string;
  evidence: Record<string, unknown>;
  framework: { zeroTrust: string; nistAiRmf: string; mitreAtlas: string | null };
}

export interface HistoryEntry {
  ts: string;
  actor: string;
  fromStatus: FindingStatus;
  toStatus: FindingStatus;
  assignee: string | null;
  reason: string;
  note: string;
}

export interface FindingType {
  type: string;
  title: string;
  trigger: string;
  baseSeverity: number;
}

export interface BulkResult {
  updated: number;
  results: { id: string; ok: boolean; status: FindingStatus | null; error: string | null; message: string | null }[];
}

export interface InventoryItem {
  appId: string;
  name: string | null;
  vendor: string | null;
  category: string | null;
  sanction: Sanction;
  riskScore: number | null;
  users: number;
  requests: number;
  blocked: number;
  bytesOut: number;
  bytesIn: number;
  firstSeen: string;
  lastSeen: string;
}

export interface Overview {
  since: string;
  days: number;
  apps: number;
  unsanctionedApps: number;
  users: number;
  requests: number;
  unsanctionedRequests: number;
  unsanctionedShare: number;
  bytesOut: number;
  daily: { day: string; requests: number; unsanctionedRequests: number; users: number }[];
  topApps: InventoryItem[];
  topUsers: { user: string; requests: number; apps: number; bytesOut: number }[];
  findings: { byStatus: Record<FindingStatus, number>; highSeverityOpen: number };
}

export interface UserUsage {
  user: string;
  apps: { appId: string; name: string | null; sanction: Sanction; days: number; requests: number; blocked: number; bytesOut: number; bytesIn: number; firstSeen: string; lastSeen: string }[];
  daily: { day: string; appId: string; requests: number; bytesOut: number; bytesIn: number }[];
}

export interface Candidate {
  host: string;
  domain: string | null;
  score: number;
  signals: string[];
  requests: number;
  users: number;
  firstSeen: string;
  lastSeen: string;
  sampleUrl: string | null;
  sampleUserAgent: string | null;
  status: 'new' | 'confirmed' | 'dismissed';
  note: string | null;
}

export const AGENT_KINDS = ['service-account', 'workload', 'host'] as const;

export interface Agent {
  id: string;
  identity: string;
  kind: (typeof AGENT_KINDS)[number];
  sponsor: string;
  expiresAt: string | null;
  allowedApps: string[];
  description: string;
  actor: string;
  updatedAt: string;
}

/** The body of POST /v1/agents and PUT /v1/agents/{id}. */
export type AgentInput = Pick<Agent, 'identity' | 'kind' | 'sponsor' | 'expiresAt' | 'allowedApps' | 'description'>;

export interface CatalogInfo {
  version: string;
  categories: Record<string, number>;
}
