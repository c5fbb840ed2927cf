import type { CatalogMatch, CatalogRef } from '@shadow-ai/catalog';
import type { NormalizedEvent } from '@shadow-ai/core';

export interface ClassifiedEvent {
  event: NormalizedEvent;
  match: CatalogMatch;
  /** the catalog version that classified it */
  catalogVersion: string;
  /** the identity usage is attributed to: the user the log names, else the client address */
  principal: string;
}

/** The identity an event is attributed to; null when the log names neither a user nor a client. */
export function principalOf(event: NormalizedEvent): string | null {
  return event.user ?? event.srcIp ?? null;
}

/** `catalog.current` is read per event, so custom apps added at run time classify the next event. */
export function createClassifyStep(deps: { catalog: CatalogRef }) {
  return function classifyStep(event: NormalizedEvent, destAsn: number | null = null): ClassifiedEvent | null {
    const catalog = deps.catalog.current;
    const match = catalog.matcher.match({
      destAsn,
      host: event.host,
      url: event.url,
      method: event.method,
      userAgent: event.userAgent,
      kind: event.kind,
    });
    if (!match) return null;
    return { event, match, catalogVersion: catalog.version, principal: principalOf(event) ?? 'unknown' };
  };
}

export type ClassifyStep = ReturnType<typeof createClassifyStep>;
