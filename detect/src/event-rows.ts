import { toClickHouseTime } from '@shadow-ai/core';
import type { SourcedEvent } from '@shadow-ai/ingest';
import { principalOf, type ClassifiedEvent } from './classify.step.ts';
import type { CandidateMatch } from './candidates.step.ts';

/** A row of the `events` table (see packages/clickhouse/migrations/0001_events.sql). */
export interface EventRow {
  ts: string;
  kind: string;
  format: string;
  user: string;
  user_raw: string | null;
  src_ip: string | null;
  host: string;
  dest_ip: string | null;
  dest_port: number | null;
  url: string | null;
  method: string | null;
  status: number | null;
  bytes_out: number | null;
  bytes_in: number | null;
  user_agent: string | null;
  action: string | null;
  dns_type: string | null;
  dns_rcode: string | null;
  app_id: string;
  activity: string;
  matched_by: string;
  src: string;
  src_offset: number;
  src_line: number;
  signals: string[];
  candidate_score: number;
  catalog_version: string;
  dest_asn?: number | null;
  dest_as_org?: string | null;
  dest_country?: string | null;
}

/** A row for an AI app event, or (with `candidate`) for an event to an unknown host with AI signals. */
export function toEventRow(source: SourcedEvent, c: ClassifiedEvent | { candidate: CandidateMatch; catalogVersion: string }): EventRow {
  const e = source.event;
  const app = 'match' in c ? c.match : null;
  return {
    ts: toClickHouseTime(e.ts),
    kind: e.kind,
    format: e.format,
    user: principalOf(e) ?? 'unknown',
    user_raw: e.user,
    src_ip: e.srcIp,
    host: e.host ?? '',
    dest_ip: e.destIp,
    dest_port: e.destPort,
    url: e.url,
    method: e.method,
    status: e.status,
    bytes_out: e.bytesOut,
    bytes_in: e.bytesIn,
    user_agent: e.userAgent,
    action: e.action,
    dns_type: e.dnsType,
    dns_rcode: e.dnsRcode,
    app_id: app?.app.id ?? '',
    activity: app?.activity ?? 'unknown',
    matched_by: app?.matchedBy ?? 'candidate',
    src: source.src,
    src_offset: source.offset,
    src_line: source.line,
    signals: 'candidate' in c ? c.candidate.signals : [],
    candidate_score: 'candidate' in c ? c.candidate.score : 0,
    catalog_version: c.catalogVersion,
  };
}
