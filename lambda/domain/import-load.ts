import { duplicateReason, type ChunkLine, type LineProblem } from './import-job';
import { buildUser, type NewUser, type User } from './user';
import { userIdForEmail } from './user-id';

/** A user written by an import, marked with the import and line that wrote it so a re-run recognises its own work. */
export interface ImportedUser extends User {
  readonly importId: string;
  readonly importLine: number;
}

/** What the users table holds for an ID that already exists (the attributes a duplicate check needs). */
export interface ExistingUser {
  readonly importId?: string;
  readonly importLine?: number;
}

export interface ChunkPlan {
  /** Users to write. */
  readonly toWrite: ImportedUser[];
  /** Users this import's own earlier attempt already wrote: loaded, not duplicates. */
  readonly alreadyLoaded: number;
  readonly duplicates: LineProblem[];
}

/**
 * Decides, for one chunk of normalised records, what Load writes. A record is a duplicate when its
 * email appeared on an earlier line of the same file, or when a user with that email exists and
 * was not written by this very line of this import. Running it again after a partial Load gives
 * the same answer, so a retried Load neither duplicates users nor miscounts them.
 *
 * @param seenEmails emails of earlier lines of the same import (updated in place)
 */
export function planChunkLoad(
  lines: readonly ChunkLine<NewUser>[],
  existing: ReadonlyMap<string, ExistingUser>,
  seenEmails: Map<string, number>,
  importId: string,
  submittedAt: Date,
): ChunkPlan {
  const toWrite: ImportedUser[] = [];
  const duplicates: LineProblem[] = [];
  let alreadyLoaded = 0;
  for (const { line, record } of lines) {
    const firstLine = seenEmails.get(record.email);
    if (firstLine !== undefined) {
      duplicates.push({ line, reason: duplicateReason.inFile(record.email, firstLine) });
      continue;
    }
    seenEmails.set(record.email, line);
    const found = existing.get(userIdForEmail(record.email));
    if (found !== undefined) {
      if (found.importId === importId && found.importLine === line) alreadyLoaded += 1;
      else duplicates.push({ line, reason: duplicateReason.existing(record.email) });
      continue;
    }
    toWrite.push({ ...buildUser(record, submittedAt), importId, importLine: line });
  }
  return { toWrite, alreadyLoaded, duplicates };
}
