// zod/mini rather than zod: the same validation in a 16 KB bundle instead of 440 KB, which every
// cold start of every function that validates users would otherwise load.
import * as z from 'zod/mini';
import { ValidationError, type FieldProblem } from './errors';
import { userIdForEmail } from './user-id';

/**
 * What a client sends to create a user. This schema is the single source of truth: the handler
 * validates with it, the API Gateway request model is generated from it (lib/constructs/users-api.ts),
 * and the import pipeline checks every imported record against it.
 */
export const newUserSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(100, 'must be at most 100 characters')),
  email: z.email('must be an email address').check(z.maxLength(254, 'must be at most 254 characters')),
  /** E.164, for example +447700900123. */
  phone: z.optional(z.string().check(z.regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 phone number such as +447700900123'))),
});

export type NewUser = z.infer<typeof newUserSchema>;

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
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
