import { fromClickHouseTime, isoInstant, toClickHouseTime } from '@shadow-ai/core';
import { z } from 'zod';

/** ISO-8601 with a zone (`2026-11-25T10:00:00Z`), as every time parameter of the API. */
export const isoTime = isoInstant.transform((s) => toClickHouseTime(s));

export const isoOut = (s: string) => fromClickHouseTime(s);
