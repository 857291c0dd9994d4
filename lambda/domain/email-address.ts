/**
 * Email address rules: the limits of RFC 5321 (SMTP) and RFC 1035 (DNS names) on top of the usual
 * shape, so that every address we store could be delivered to.
 *
 * - `local@domain`, split at the last `@`.
 * - Local part: a dot-atom (RFC 5322: letters, digits and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -,
 *   with single dots between atoms), at most 64 octets. Quoted local parts are not accepted.
 * - Domain: at least two labels; each 1–63 octets of letters, digits and hyphens, not starting or
 *   ending with a hyphen; the last (the top-level domain) not all digits. ASCII only: an
 *   internationalised domain is sent in its `xn--` form.
 * - The whole address at most 254 octets (RFC 5321's 256-octet path less its angle brackets).
 */

export const MAX_LOCAL_PART_OCTETS = 64;
export const MAX_LABEL_OCTETS = 63;
export const MAX_ADDRESS_OCTETS = 254;

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

const octets = (text: string) => Buffer.byteLength(text, 'utf8');

/** What is wrong with an address (already trimmed), or undefined when nothing is. */
export function emailAddressProblem(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'must be an email address';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!DOT_ATOM.test(local)) return 'must be an email address';
  const labels = domain.split('.');
  if (labels.length < 2) return 'must be an email address (its domain needs a dot, as in example.com)';
  if (octets(address) > MAX_ADDRESS_OCTETS) return `must be at most ${MAX_ADDRESS_OCTETS} characters`;
  if (octets(local) > MAX_LOCAL_PART_OCTETS) return `must have at most ${MAX_LOCAL_PART_OCTETS} characters before the @`;
  for (const label of labels) {
    if (label.length === 0) return 'must be an email address (its domain has an empty part)';
    if (label.length > MAX_LABEL_OCTETS) return `must have domain parts of at most ${MAX_LABEL_OCTETS} characters`;
    if (!LABEL.test(label)) {
      return 'must be an email address (each part of its domain is letters, digits and hyphens, not starting or ending with a hyphen)';
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'must be an email address (its top-level domain cannot be all digits)';
  return undefined;
}
