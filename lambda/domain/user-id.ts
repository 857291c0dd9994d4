import { createHash } from 'node:crypto';

/**
 * The namespace of user IDs (a random UUID, fixed forever: changing it changes every user's ID).
 */
const USER_ID_NAMESPACE = 'c3b8a0a4-6f1e-4a0e-9d3b-5a2f7f0f2d11';

/**
 * A user's ID is a name-based UUID (RFC 9562 version 5) of their normalised email address.
 *
 * Deriving the ID from the email makes "one user per email" a single conditional write on the
 * table's key: no second uniqueness item and no transaction (which local DynamoDB engines lack),
 * a retried create can never make a second user, and a bulk import can check for existing users
 * with one BatchGetItem.
 */
export function userIdForEmail(normalisedEmail: string): string {
  return uuidV5(USER_ID_NAMESPACE, normalisedEmail);
}

/** A name-based UUID, version 5 (SHA-1), of `name` in `namespace` (RFC 9562, section 5.5). */
export function uuidV5(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` is a user ID as we write them (lower-case hex). */
export function isUserId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/**
 * The user ID a client means, in the lower-case form the table holds, or undefined when `value`
 * cannot be one. UUIDs are case-insensitive (RFC 9562: hex digits are read in either case), so
 * `GET /users/0B7C...` names the same user as `GET /users/0b7c...`. API Gateway REST APIs pass a
 * path parameter as the client encoded it, and a percent-encoded unreserved character is that
 * character (RFC 3986, 6.2.2.2), so `%30b7c...` names the same user too.
 */
export function parseUserId(value: string): string | undefined {
  const id = percentDecoded(value)?.toLowerCase();
  return id !== undefined && isUserId(id) ? id : undefined;
}

/** `value` with its percent-encoding undone, or undefined when that encoding is malformed. */
function percentDecoded(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
