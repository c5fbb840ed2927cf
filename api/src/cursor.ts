import { HttpError } from './errors.ts';

/** Opaque keyset cursor: the sort key of the last item returned. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_request', 'invalid cursor');
  }
  if (!Array.isArray(values) || values.length !== shape.length || values.some((v, i) => typeof v !== shape[i])) {
    throw new HttpError(400, 'bad_request', 'invalid cursor');
  }
  return values as (string | number)[];
}
