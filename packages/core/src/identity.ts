import { isIP } from 'node:net';
import { z } from 'zod';
import { isoInstant } from './time.ts';

/** One IP → user lease, as uploaded over the API or read from the identity-events topic. */
export const leaseSchema = z.strictObject({
  ip: z
    .string()
    .refine((ip) => isIP(ip) !== 0, 'an IPv4 or IPv6 address')
    .meta({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }),
  user: z.string().trim().min(1).max(256),
  from: isoInstant,
  /** absent: until the next lease of the address, or `defaultTtlMs` */
  to: isoInstant.optional(),
  source: z.string().max(64).default('api'),
});
export type LeaseInput = z.input<typeof leaseSchema>;

