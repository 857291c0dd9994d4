import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** The users API routes a profile's request mix may name (each matches one function's description). */
export const API_ROUTES = ['GET /users', 'GET /users/{id}', 'POST /users', 'DELETE /users/{id}', 'GET /imports/{id}'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();

/** A month of traffic, flow by flow: what the estimate multiplies the templates' prices by. */
export const usageProfileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  api: z.strictObject({
    requestsPerMonth: count,
    /** Share of the requests per route; the shares add up to 1. */
    mix: z
      .partialRecord(z.enum(API_ROUTES), amount)
      .refine((mix) => Math.abs(Object.values(mix).reduce((sum, share) => sum + share, 0) - 1) < 1e-9, {
        message: 'the shares of api.mix must add up to 1',
      }),
    /** Client-credentials token requests to Cognito (M2M callers), whether or not the templates have a user pool yet. */
    m2mTokenRequestsPerMonth: count,
  }),
  /** The size bills nothing per request (transfer in is free, the handler reads the header); storage is `storage.bucketGB`. */
  uploads: z.strictObject({ filesPerMonth: count, averageSizeMB: amount }),
  imports: z.strictObject({
    /** Classes of import files: how many a month, and rows each. The size (rows × bytes per row) picks the path. */
    files: z.array(z.strictObject({ perMonth: count, rows: count })),
  }),
  schedules: z.strictObject({ reportRunsPerMonth: count, cleanupRunsPerMonth: count, cleanupObjectsPerRun: count }),
  export: z.strictObject({ downloadsPerMonth: count, usersPerDownload: count }),
  storage: z.strictObject({ tablesGB: amount, bucketGB: amount }),
});

export type UsageProfile = z.infer<typeof usageProfileSchema>;

export const PROFILE_NAMES = ['idle', 'startup', 'growth', 'high'] as const;

/** A shipped profile by name (profiles/<name>.json), or a profile file by path; validated. */
export function loadProfile(nameOrPath: string): UsageProfile {
  const shipped = path.join(__dirname, 'profiles', `${nameOrPath}.json`);
  const file = (PROFILE_NAMES as readonly string[]).includes(nameOrPath) ? shipped : nameOrPath;
  if (!fs.existsSync(file)) {
    throw new Error(`No profile ${nameOrPath}: give one of ${PROFILE_NAMES.join(', ')} or a path to a profile file`);
  }
  const parsed = usageProfileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `Profile ${file} is not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
