/**
 * Rules for human-readable text that people send us (users' names, the greeting's name). Pure, and
 * shared by the users schema (API and imports) and GET /hello, so one name is judged the same way
 * everywhere. Lengths are in Unicode code points, not UTF-16 units: "𝒜da" is 3 characters, not 4.
 */

/**
 * C0 and C1 control characters (NUL, ESC, DEL, ...), except the five that are whitespace (tab,
 * line feed, vertical tab, form feed, carriage return): a name typed on two lines or pasted with a
 * tab is still a name, and normaliseNewUser collapses every run of whitespace to one space.
 */
// Control characters are what this pattern is for.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/u;

/**
 * Bidirectional embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they reorder
 * the text around them wherever the name is shown ("Trojan Source"), so a name could display as
 * something other than what it is.
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;

/**
 * A lone UTF-16 surrogate. With the `u` flag a well-formed pair is one code point outside this
 * range, so only an unpaired half matches. Such a string is not Unicode text: it cannot be encoded
 * as UTF-8, and DynamoDB may refuse it (a server error instead of the client's).
 */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Characters that show nothing although Unicode files them as letters or symbols: the Hangul
 * fillers and the blank Braille pattern.
 */
const BLANK_LOOKALIKES = /[\u115f\u1160\u3164\uffa0\u2800]/gu;

/** Something a reader can see: a letter, digit, punctuation mark or symbol. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** The number of Unicode code points in `text` (a surrogate pair counts once). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * What is wrong with a name, already trimmed, or undefined when nothing is. One problem, the first
 * that applies, phrased to be shown to the client after the field's name.
 */
export function nameProblem(name: string, maxCodePoints: number): string | undefined {
  if (name === '') return 'must not be empty';
  if (LONE_SURROGATE.test(name)) return 'must be valid Unicode text (it contains an unpaired UTF-16 surrogate)';
  if (CONTROL.test(name)) return 'must not contain control characters (such as NUL or ESC)';
  if (BIDI_CONTROL.test(name)) return 'must not contain bidirectional override or isolate characters (U+202A to U+202E, U+2066 to U+2069)';
  if (!VISIBLE.test(name.replace(BLANK_LOOKALIKES, ''))) return 'must contain at least one visible character';
  if (codePointLength(name) > maxCodePoints) return `must be at most ${maxCodePoints} characters`;
  return undefined;
}
