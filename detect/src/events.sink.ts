import type { ClickHouseClient } from '@clickhouse/client';
import type { CatalogRef } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import type { DeadLetter, EventSink, SourcedEvent } from '@shadow-ai/ingest';
import { toClickHouseTime, type NormalizedEvent } from '@shadow-ai/core';
import type { ClassifyStep } from './classify.step.ts';
import { candidateSignals, DOH_RESOLVERS, isAiSdkUserAgent } from './candidates.step.ts';
import { toEventRow, type EventRow } from './event-rows.ts';
import type { DestIpEnricher, DestIpInfo } from './enrich/dest-ip.enricher.ts';
import type { Pseudonymizer } from './pseudonymizer.ts';

function withDest(row: EventRow, dest: DestIpInfo | null): EventRow {
  if (dest) {
    row.dest_asn = dest.asn;
    row.dest_as_org = dest.asOrg;
    row.dest_country = dest.country;
  }
  return row;
}

export interface StoreSink extends EventSink {
  storeDeadLetters(letters: DeadLetter[]): Promise<void>;
}

/**
 * Classifies events and stores the AI ones. One call is one INSERT, which ClickHouse applies as one
 * block (batches stay well under max_insert_block_size): the rows and the ingest position written by
 * the materialized view land together or not at all.
 */
export function createStoreSink(deps: {
  client: ClickHouseClient;
  classify: ClassifyStep;
  catalog: CatalogRef;
  /** identity enrichment (user from IP leases, user normalisation) applied before classification */
  enrich?: (event: NormalizedEvent) => NormalizedEvent;
  /** AS number/organisation and country of the destination IP */
  destIp?: DestIpEnricher | null;
  /** pseudonymisation mode: identities stored as keyed hashes */
  pseudonymizer?: Pseudonymizer | null;
  onStored?: (principal: string, appId: string) => void;
}): StoreSink {
  const { client, classify } = deps;
  return {
    async store(events: SourcedEvent[]) {
      const rows: EventRow[] = [];
      let stored = 0;
      for (const original of events) {
        const source = deps.enrich ? { ...original, event: deps.enrich(original.event) } : original;
        const dest = deps.destIp && source.event.destIp ? deps.destIp.lookup(source.event.destIp) : null;
        const c = classify(source.event, dest?.asn ?? null);
        if (c) {
          const row = withDest(toEventRow(source, c), dest);
          if (isAiSdkUserAgent(source.event.userAgent)) row.signals = ['ai-sdk-user-agent'];
          rows.push(row);
          stored++;
          continue;
        }
        const candidate =
          candidateSignals(source.event) ??
          (source.event.host !== null && DOH_RESOLVERS.has(source.event.host) ? { signals: ['doh-resolver' as const], score: 0 } : null);
        if (candidate) rows.push(withDest(toEventRow(source, { candidate, catalogVersion: deps.catalog.current.version }), dest));
      }
      if (rows.length === 0) return { stored: 0, candidates: 0 };
      const p = deps.pseudonymizer;
      if (p) {
        for (const r of rows) {
          r.user = p.pseudonym(r.user);
          if (r.user_raw !== null) r.user_raw = p.pseudonym(r.user_raw);
          if (r.src_ip !== null) r.src_ip = p.pseudonym(r.src_ip);
        }
        // The names behind new pseudonyms are stored before the events that carry them.
        await p.flush();
      }
      await client.insert({ table: 'events', values: rows, format: 'JSONEachRow' });
      if (deps.onStored) for (const r of rows) deps.onStored(r.user, r.app_id);
      return { stored, candidates: rows.length - stored };
    },

    async storedPosition(src: string) {
      const rows = await queryRows<{ n: number | string; m: number | string }>(
        client,
        'SELECT count() AS n, max(max_offset) AS m FROM ingest_positions WHERE src = {src:String}',
        { src },
      );
      const row = rows[0];
      return row && Number(row.n) > 0 ? Number(row.m) : null;
    },

    async storeDeadLetters(letters: DeadLetter[]) {
      if (letters.length === 0) return;
      const now = toClickHouseTime(new Date().toISOString());
      await client.insert({
        table: 'dead_letters',
        format: 'JSONEachRow',
        values: letters.map((d) => ({
          received_at: now,
          src: d.src,
          src_offset: d.offset,
          src_line: d.line,
          format: d.format,
          reason: d.reason,
          raw_base64: d.raw.toString('base64'),
        })),
      });
    },
  };
}
