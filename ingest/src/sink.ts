import type { NormalizedEvent } from '@shadow-ai/core';

/** A parsed event with the source position it came from. */
export interface SourcedEvent {
  /** source id: `kafka:<topic>/<partition>`, `http:<batch id>`, `file:<path>` */
  src: string;
  /** Kafka offset, or 0 for sources whose batches have one position */
  offset: number;
  line: number;
  event: NormalizedEvent;
}

/**
 * Where sources hand parsed events. `store` resolves only once what it keeps is durable; a source
 * acknowledges its input (commits the Kafka offset, answers the HTTP request) only after that.
 */
export interface EventSink {
  store(events: SourcedEvent[]): Promise<{ stored: number; candidates?: number }>;
  /** The highest offset already stored for `src`, or null: what a replay after a crash must skip. */
  storedPosition(src: string): Promise<number | null>;
}

export interface DeadLetter {
  src: string;
  offset: number;
  line: number;
  format: string;
  reason: string;
  raw: Buffer;
}

/** Where sources without a replayable transport (HTTP, files, syslog) put lines that do not parse. */
export interface DeadLetterSink {
  storeDeadLetters(letters: DeadLetter[]): Promise<void>;
}
