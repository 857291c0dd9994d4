import { z } from 'zod';
import { ValidationError, type FieldProblem } from './errors';
import { userIdForEmail } from './user-id';

/**
 * What a client sends to create a user. This schema is the single source of truth: the handler
 * validates with it, the API Gateway request model is generated from it (lib/constructs/users-api.ts),
 * and the import pipeline checks every imported record against it.
 */
export const newUserSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  email: z.email('must be an email address').max(254),
  /** E.164, for example +447700900123. */
  phone: z
    .string()
    .regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 phone number such as +447700900123')
    .optional(),
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

/** Turns zod issues into the field problems our error bodies carry. */
export function problemsOf(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Validates untrusted input against the new-user schema, or throws a ValidationError naming each problem. */
export function parseNewUser(input: unknown): NewUser {
  const result = newUserSchema.safeParse(input);
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
