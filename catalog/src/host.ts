import { domainToASCII } from 'node:url';

/**
 * Reduces whatever a log calls a destination (`API.OpenAI.com.`, `chatgpt.com:443`, `[2001:db8::1]:443`,
 * `bücher.example`) to the lowercase ASCII host the catalog is keyed by. Returns null for an empty value.
 */
export function normalizeHost(input: string): string | null {
  let host = input.trim();
  if (host.length === 0) return null;
  // Fast path: already a plain lowercase ASCII name (the common case on the hot path).
  if (!PLAIN_HOST.test(host)) {
    if (host.startsWith('[')) {
      const end = host.indexOf(']');
      return end > 1 ? host.slice(1, end).toLowerCase() : null;
    }
    const colon = host.indexOf(':');
    // One colon: host:port. More than one: a bare IPv6 literal, kept as it is.
    if (colon !== -1 && host.indexOf(':', colon + 1) === -1) host = host.slice(0, colon);
    else if (colon !== -1) return host.toLowerCase();
    host = host.toLowerCase();
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (NON_ASCII.test(host)) {
      const ascii = domainToASCII(host);
      if (ascii === '') return null;
      host = ascii;
    }
  }
  return host.length > 0 ? host : null;
}

const PLAIN_HOST = /^[a-z0-9.-]*[a-z0-9-]$/;
const NON_ASCII = /[^\x00-\x7f]/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(':');
}
