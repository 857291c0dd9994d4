import { NoValidRecordsError } from './import-errors';
import type { ImportLine } from './import-file';
import { duplicateReason, IMPORT_CHUNK_RECORDS, type ImportStatus, type JobCounts, type JobProblem, type LineProblem } from './import-job';
import { buildUser, normaliseNewUser } from './user';

/**
 * The import engine: the one implementation of loading records into the users table that both
 * import paths run (the Load step of the Lambda path and the Fargate worker). It knows no AWS SDK:
 * the checkpoint item and the user writes come in as the two interfaces below (lambda/store
 * implements them).
 *
 * Records are taken in chunks, in line order. For each chunk: invalid records and emails repeated
 * inside the chunk are reported; every other record becomes a conditional put of a new user
 * (at most `concurrency` in flight), which succeeds only when no user has that ID. A put that
 * fails tells who owns the user: this very line of this import (an earlier attempt wrote it and
 * died before its checkpoint: loaded), another line of this import (a repeat in the file), or
 * anyone else (an existing user, never overwritten). So each user is counted created exactly once,
 * by whoever's condition succeeded, whatever runs at the same time. After each chunk the
 * checkpoint moves to the chunk's last line; a later attempt resumes after it.
 */

/** What an import has done so far. Every line up to and including `lastLine` is fully handled. */
export interface ImportProgress extends JobCounts {
  readonly lastLine: number;
}

/** The checkpoint item of one import (the checkpoints table, one item per import ID). */
export interface ImportCheckpoint extends ImportProgress {
  readonly importId: string;
  readonly status: ImportStatus;
  /** Why the last attempt failed or stopped (`<ErrorName>: <message>`), when it did. */
  readonly failure?: string;
}

/** Where the engine keeps its checkpoint (lambda/store/import-checkpoints-store.ts). */
export interface ImportCheckpoints {
  get(importId: string): Promise<ImportCheckpoint | undefined>;
  /** Saves progress; refuses (throws) to move an import's checkpoint backwards. */
  save(importId: string, status: ImportStatus, progress: ImportProgress): Promise<void>;
  /** Records why an attempt ended early, keeping its progress for the next attempt. */
  markFailed(importId: string, reason: string): Promise<void>;
}

/** A user as an import writes it: stamped with the import and line, so a re-run recognises its own work. */
export interface ImportedUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  readonly createdAt: string;
  readonly importId: string;
  readonly importLine: number;
}

/** Who owns a user ID that already exists (an import's stamp, absent for a user made by POST /users). */
export interface ExistingUser {
  readonly importId?: string;
  readonly importLine?: number;
}

export type CreateOutcome = { readonly created: true } | { readonly created: false; readonly owner: ExistingUser };

/** Creates a user only if its ID is free (lambda/store/user-import-store.ts: a conditional PutItem). */
export interface ImportUserWriter {
  createIfAbsent(user: ImportedUser): Promise<CreateOutcome>;
}

/** Keeps a checkpoint item small (DynamoDB items stop at 400 KB). Every problem is also logged. */
export const MAX_REPORTED_PROBLEMS = 100;
/**
 * Conditional puts in flight at once. Measured with bench/import-load.ts (15 ms per call): the rate
 * grows almost linearly up to here; the SDK's default socket pool is 50.
 */
export const DEFAULT_WRITE_CONCURRENCY = 32;

export const EMPTY_PROGRESS: ImportProgress = { lastLine: 0, loaded: 0, existing: 0, duplicates: 0, invalid: 0, problems: [] };

/** Errors that no new attempt can change (same file version, same content): a retry fails at once. */
export const PERMANENT_IMPORT_ERRORS = ['ImportFileUnreadableError', 'NoValidRecordsError', 'UnsupportedImportFormatError'] as const;

/** An attempt stopped on request (SIGTERM, a deadline): its checkpoint is written, a new attempt resumes. */
export class ImportStoppedError extends Error {
  override readonly name = 'ImportStoppedError';
}

/** An earlier attempt of this import failed for good; the reason is its own. */
export class ImportAlreadyFailedError extends Error {
  constructor(readonly original: string) {
    super(original.replace(/^[A-Za-z]+: /, ''));
    this.name = original.match(/^([A-Za-z]+): /)?.[1] ?? 'ImportAlreadyFailedError';
  }
}

/**
 * The one rule for a file without a valid record, whichever path read it: NoValidRecordsError,
 * naming the first problems.
 */
export function assertSomeValidRecords(validRecords: number, invalidRecords: number, invalidSample: readonly LineProblem[]): void {
  if (validRecords > 0) return;
  const examples = invalidSample.slice(0, 3).map((problem) => `line ${problem.line}: ${problem.reason}`);
  throw new NoValidRecordsError(
    invalidRecords === 0 ? 'The file has no records' : `None of the ${invalidRecords} records is valid (${examples.join('; ')})`,
  );
}

/** Runs `task` on every item with at most `limit` running at once; rejects on the first failure (after the running ones settle). */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const index = next;
      next += 1;
      try {
        await task(items[index], index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(workers);
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

export interface RunImportOptions {
  readonly importId: string;
  /** The import's records from the line after `afterLine` (earlier ones may be yielded too: they are skipped). */
  readonly records: (afterLine: number) => AsyncIterable<ImportLine>;
  readonly checkpoints: ImportCheckpoints;
  readonly users: ImportUserWriter;
  /** The `createdAt` of the users the import creates. @default the time each chunk is loaded */
  readonly now?: () => Date;
  /** Records per chunk, so per checkpoint. @default IMPORT_CHUNK_RECORDS */
  readonly chunkRecords?: number;
  /** @default DEFAULT_WRITE_CONCURRENCY */
  readonly concurrency?: number;
  /**
   * Asked after each chunk is loaded and checkpointed: true makes the engine return STOPPED (a
   * Lambda's time budget, SIGTERM). Every attempt loads at least one chunk, so a continued import
   * always moves forward; one chunk is what a caller must leave time for.
   */
  readonly shouldStop?: () => boolean;
  /** Whether a file whose records are all invalid fails (NoValidRecordsError). @default true */
  readonly requireValidRecords?: boolean;
  readonly log?: (message: string, details: Record<string, unknown>) => void;
}

export interface ImportRun {
  /** SUCCEEDED: every record is handled; STOPPED: `shouldStop` asked, the checkpoint is written. */
  readonly status: 'SUCCEEDED' | 'STOPPED';
  readonly progress: ImportProgress;
  /** An earlier attempt had already finished the import; nothing was done. */
  readonly alreadyDone: boolean;
  /** The line this attempt started after (0 on a first attempt). */
  readonly resumedAfterLine: number;
}

/** Loads an import's records, resuming from its checkpoint; see the module comment. */
export async function runImport(options: RunImportOptions): Promise<ImportRun> {
  const { importId, checkpoints } = options;
  const log = options.log ?? (() => undefined);
  const chunkRecords = options.chunkRecords ?? IMPORT_CHUNK_RECORDS;

  const previous = await checkpoints.get(importId);
  if (previous?.status === 'SUCCEEDED') {
    return { status: 'SUCCEEDED', progress: previous, alreadyDone: true, resumedAfterLine: previous.lastLine };
  }
  if (previous?.status === 'FAILED' && PERMANENT_IMPORT_ERRORS.some((name) => previous.failure?.startsWith(`${name}:`))) {
    throw new ImportAlreadyFailedError(previous.failure ?? '');
  }
  const resumedAfterLine = previous?.lastLine ?? 0;
  let progress: ImportProgress = previous ?? EMPTY_PROGRESS;
  if (previous === undefined) await checkpoints.save(importId, 'RUNNING', progress);
  else log('Resuming import', { importId, afterLine: resumedAfterLine });

  let chunk: ImportLine[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const lastLine = chunk[chunk.length - 1].line;
    progress = { ...(await loadChunk(options, chunk, progress, log)), lastLine };
    await checkpoints.save(importId, 'RUNNING', progress);
    chunk = [];
  };

  for await (const record of options.records(resumedAfterLine)) {
    if (record.line <= resumedAfterLine) continue;
    chunk.push(record);
    if (chunk.length < chunkRecords) continue;
    await flush();
    if (options.shouldStop?.()) {
      log('Import stopped; it resumes after the checkpoint', { importId, lastLine: progress.lastLine });
      return { status: 'STOPPED', progress, alreadyDone: false, resumedAfterLine };
    }
  }
  await flush();

  if (options.requireValidRecords ?? true) {
    const invalidSample = progress.problems.filter((problem) => problem.kind === 'invalid');
    assertSomeValidRecords(progress.loaded + progress.existing + progress.duplicates, progress.invalid, invalidSample);
  }
  await checkpoints.save(importId, 'SUCCEEDED', progress);
  return { status: 'SUCCEEDED', progress, alreadyDone: false, resumedAfterLine };
}

/** Validates, deduplicates and loads one chunk of records; returns the counts after it. */
async function loadChunk(
  options: RunImportOptions,
  records: readonly ImportLine[],
  before: ImportProgress,
  log: NonNullable<RunImportOptions['log']>,
): Promise<ImportProgress> {
  const { importId } = options;
  const problems: JobProblem[] = [...before.problems];
  const report = (problem: JobProblem, details: Record<string, unknown>) => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
    log(
      problem.kind === 'invalid'
        ? 'Invalid record'
        : problem.kind === 'existing'
          ? 'Email already belongs to a user'
          : 'Duplicate email in the file',
      {
        importId,
        line: problem.line,
        ...details,
      },
    );
  };
  let { loaded, existing, duplicates, invalid } = before;
  const createdAt = (options.now ?? (() => new Date()))();

  // Valid records, normalised; the first occurrence of each email in the chunk.
  const candidates = new Map<string, ImportedUser>();
  for (const record of records) {
    if (record.record === undefined) {
      invalid += 1;
      report({ line: record.line, kind: 'invalid', reason: record.error }, { reason: record.error });
      continue;
    }
    const user = buildUser(normaliseNewUser(record.record), createdAt);
    const first = candidates.get(user.id);
    if (first !== undefined) {
      duplicates += 1;
      report({ line: record.line, kind: 'duplicate', reason: duplicateReason.inFile(user.email, first.importLine) }, { email: user.email });
      continue;
    }
    candidates.set(user.id, { ...user, importId, importLine: record.line });
  }

  const users = [...candidates.values()];
  const outcomes: CreateOutcome[] = new Array(users.length);
  await forEachLimited(users, options.concurrency ?? DEFAULT_WRITE_CONCURRENCY, async (user, index) => {
    outcomes[index] = await options.users.createIfAbsent(user);
  });

  users.forEach((user, index) => {
    const outcome = outcomes[index];
    if (outcome.created) {
      loaded += 1;
      return;
    }
    const { owner } = outcome;
    if (owner.importId === importId && owner.importLine === user.importLine) {
      loaded += 1; // written by an earlier attempt of this import that died before its checkpoint
    } else if (owner.importId === importId) {
      duplicates += 1;
      report(
        { line: user.importLine, kind: 'duplicate', reason: duplicateReason.inFile(user.email, owner.importLine ?? 0) },
        { email: user.email, firstLine: owner.importLine },
      );
    } else {
      existing += 1;
      report({ line: user.importLine, kind: 'existing', reason: duplicateReason.existing(user.email) }, { email: user.email });
    }
  });

  return { lastLine: before.lastLine, loaded, existing, duplicates, invalid, problems };
}
