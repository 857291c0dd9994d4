// zod/mini rather than zod: the same validation in a 16 KB bundle instead of 440 KB, which every
// cold start of every function that validates users would otherwise load.
import * as z from 'zod/mini';
import { ValidationError, type FieldProblem } from './errors';
import { emailAddressProblem } from './email-address';
import { nameProblem } from './text-rules';
import { userIdForEmail } from './user-id';

/** A user's name, after trimming, in Unicode code points. */
export const MAX_NAME_LENGTH = 100;

/**
 * Adds the problem a rule finds (at most one per field) as the field's issue. zod/mini's own
 * length checks count UTF-16 units and its email check knows no RFC limits, so the fields use the
 * project's rules (text-rules.ts, email-address.ts).
 */
function rule(problemOf: (value: string) => string | undefined) {
  return z.superRefine<string>((value, context) => {
    const problem = problemOf(value);
    if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: value });
  });
}

/**
 * What a client sends to create a user. This schema is the single source of truth: the handler
 * validates with it, the API Gateway request model is generated from it (lib/constructs/users-api.ts),
 * and the import pipeline checks every imported record against it.
 *
 * Surrounding whitespace: every field is trimmed first, then validated ("  ada@example.com " is
 * ada@example.com), the same for the API and imports; whitespace inside a value is the rules' to
 * judge (a name's inner spaces are collapsed by normaliseNewUser, an email's are refused).
 */
const nameField = z.string().check(
  z.trim(),
  rule((name) => nameProblem(name, MAX_NAME_LENGTH)),
);
const emailField = z.string().check(z.trim(), rule(emailAddressProblem));
/** E.164, for example +447700900123. */
const phoneField = z.string().check(z.trim(), z.regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 phone number such as +447700900123'));

export const newUserSchema = z.strictObject({
  name: nameField,
  email: emailField,
  phone: z.optional(phoneField),
});

/**
 * What a client sends to change a user (PATCH /users/{id}, a JSON merge patch): the fields to set,
 * and `phone: null` to remove the phone. The email is not here: it is the user's identity (the ID
 * is derived from it), so changing it means creating a new user.
 */
export const userChangesSchema = z.strictObject({
  name: z.optional(nameField),
  phone: z.optional(z.nullable(phoneField)),
});

export type UserChanges = z.infer<typeof userChangesSchema>;

export type NewUser = z.infer<typeof newUserSchema>;

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** ISO 8601, UTC: the last change (PATCH); absent on a user never changed. */
  readonly updatedAt?: string;
}

/** A message for an issue that carries no message of ours (zod/mini ships no locale). */
function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'unrecognized_keys':
      return `has fields this object does not accept: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** Turns zod issues into the field problems our error bodies carry. */
export function problemsOf(error: z.core.$ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: messageOf(issue) }));
}

/** Validates untrusted input against the new-user schema, or throws a ValidationError naming each problem. */
export function parseNewUser(input: unknown): NewUser {
  // reportInput tells a missing field ("is required") from one of the wrong type.
  const result = z.safeParse(newUserSchema, input, { reportInput: true });
  if (!result.success) {
    throw new ValidationError('The user is not valid', problemsOf(result.error));
  }
  return result.data;
}

/**
 * Validates an untrusted change against the changes schema, or throws a ValidationError naming
 * each problem: an email (it cannot change), an unknown field, a bad value, or no field at all.
 */
export function parseUserChanges(input: unknown): UserChanges {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  if (isObject && 'email' in input) {
    throw new ValidationError('The change is not valid', [
      { path: 'email', message: 'cannot be changed: the email identifies the user (create a new user instead)' },
    ]);
  }
  const result = z.safeParse(userChangesSchema, input, { reportInput: true });
  if (!result.success) throw new ValidationError('The change is not valid', problemsOf(result.error));
  if (result.data.name === undefined && result.data.phone === undefined) {
    throw new ValidationError('The change is not valid', [{ path: '', message: 'names no field to change (name, phone)' }]);
  }
  return result.data;
}

/** The same normalising as a new user's: a name's whitespace collapsed, values trimmed; `phone: null` kept (it removes). */
export function normaliseUserChanges(changes: UserChanges): UserChanges {
  return {
    ...(changes.name === undefined ? {} : { name: changes.name.trim().replace(/\s+/g, ' ') }),
    ...(changes.phone === undefined ? {} : { phone: changes.phone === null ? null : changes.phone.trim() }),
  };
}

/** Trims and collapses whitespace in names, lower-cases emails: two spellings of one address are one user. */
export function normaliseNewUser(input: NewUser): NewUser {
  return {
    name: input.name.trim().replace(/\s+/g, ' '),
    email: input.email.trim().toLowerCase(),
    ...(input.phone === undefined ? {} : { phone: input.phone }),
  };
}

/** A complete user record from a validated, normalised input. */
export function buildUser(input: NewUser, now: Date): User {
  return {
    id: userIdForEmail(input.email),
    name: input.name,
    email: input.email,
    ...(input.phone === undefined ? {} : { phone: input.phone }),
    createdAt: now.toISOString(),
  };
}
