import { ValidationError } from './errors';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** Parses the `limit` query parameter: a whole number from 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^[0-9]{1,4}$/.test(raw)) {
    throw new ValidationError('Invalid query', [{ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` }]);
  }
  const limit = Number(raw);
  if (limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('Invalid query', [{ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` }]);
  }
  return limit;
}

/**
 * Cursors are opaque to clients: base64url of the last key a page ended on. A cursor that does
 * not decode to a key of the expected shape is a client error, never a crash.
 */
export function encodeCursor(lastKey: Record<string, string>): string {
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | undefined, keyAttributes: readonly string[]): Record<string, string> | undefined {
  if (raw === undefined || raw === '') return undefined;
  const invalid = new ValidationError('Invalid query', [{ path: 'cursor', message: 'is not a cursor this API returned' }]);
  if (raw.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid;
  const entries = Object.entries(decoded);
  const valid =
    entries.length === keyAttributes.length &&
    entries.every(([name, value]) => keyAttributes.includes(name) && typeof value === 'string' && value.length > 0 && value.length <= 1024);
  if (!valid) throw invalid;
  return decoded as Record<string, string>;
}
