import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildUser, normaliseNewUser, type User } from '../../../lambda/domain/user';
import { batchGet, batchWrite, chunksOf, forEachLimited, MAX_GET_BATCH, MAX_WRITE_BATCH } from './batch';
import { CheckpointStore, EMPTY_PROGRESS, MAX_REPORTED_PROBLEMS, type ImportProgress, type ReportedProblem } from './checkpoints';
import { readImportRecords, type ImportFormat, type ImportLine } from '../../../lambda/domain/import-file';
import { duplicateReason } from '../../../lambda/domain/import-job';

export interface ImportJobOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly bucket: string;
  readonly key: string;
  /** The S3 version to read. @default the current version */
  readonly versionId?: string;
  readonly importId: string;
  readonly format: ImportFormat;
  readonly usersTable: string;
  readonly checkpointsTable: string;
  /** Records per checkpoint: all of them are loaded, then the checkpoint is written. @default 1000 */
  readonly chunkSize?: number;
  /** BatchWriteItem/BatchGetItem requests in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Stops the job between chunks (deadline, SIGTERM); progress up to the last checkpoint is kept. */
  readonly signal?: AbortSignal;
  /** Where each reported problem and each checkpoint is logged. */
  readonly log?: (message: string, details: Record<string, unknown>) => void;
  /** The clock, for createdAt. @default () => new Date() */
  readonly now?: () => Date;
}

export interface ImportResult extends ImportProgress {
  readonly importId: string;
  /** True when an earlier attempt had already finished this import and nothing was done. */
  readonly alreadyDone: boolean;
  /** The line this attempt started after (0 on a first attempt). */
  readonly resumedAfterLine: number;
}

export class ImportStoppedError extends Error {
  override readonly name = 'ImportStoppedError';
}

/** The attributes an import adds to each user it creates, so a resumed attempt recognises its own writes. */
const IMPORT_ID = 'importId';
const IMPORT_LINE = 'importLine';

/**
 * Loads one import file into the users table.
 *
 * The file is streamed from S3 and read record by record (never whole into memory). Records are
 * loaded in chunks: the chunk's user IDs (derived from the emails) are read with BatchGetItem, new
 * users written with BatchWriteItem, and then the checkpoint moves to the chunk's last line. A
 * user that exists is never overwritten: it is reported as an existing email, unless this same
 * import wrote it from this same line in an attempt that died before checkpointing, in which case
 * it counts as loaded. So a task killed at any point and started again loads every record exactly
 * once, and its counts add up.
 */
export async function runImport(options: ImportJobOptions): Promise<ImportResult> {
  const checkpoints = new CheckpointStore(options.dynamo, options.checkpointsTable);
  const source = { bucket: options.bucket, key: options.key };
  const log = options.log ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const chunkSize = options.chunkSize ?? 1000;

  const previous = await checkpoints.get(options.importId);
  if (previous?.status === 'SUCCEEDED') {
    return { ...previous, alreadyDone: true, resumedAfterLine: previous.lastLine };
  }
  const resumedAfterLine = previous?.lastLine ?? 0;
  let progress: ImportProgress = previous ?? EMPTY_PROGRESS;
  if (previous === undefined) await checkpoints.save(options.importId, 'RUNNING', progress, source);
  else log('Resuming import', { importId: options.importId, afterLine: resumedAfterLine });

  const object = await options.s3.send(
    new GetObjectCommand({ Bucket: options.bucket, Key: options.key, ...(options.versionId ? { VersionId: options.versionId } : {}) }),
    { abortSignal: options.signal },
  );
  if (object.Body === undefined) throw new Error(`s3://${options.bucket}/${options.key} has no body`);
  const body = object.Body as AsyncIterable<Uint8Array>;

  let chunk: ImportLine[] = [];
  let lastLineSeen = resumedAfterLine;
  const flush = async () => {
    if (options.signal?.aborted) throw new ImportStoppedError(`Import stopped before line ${chunk[0]?.line}: ${String(options.signal.reason)}`);
    progress = await loadChunk(options, chunk, progress, now(), log);
    progress = { ...progress, lastLine: lastLineSeen };
    await checkpoints.save(options.importId, 'RUNNING', progress, source);
    chunk = [];
  };

  for await (const record of readImportRecords(body, options.format)) {
    if (record.line <= resumedAfterLine) continue;
    chunk.push(record);
    lastLineSeen = record.line;
    if (chunk.length >= chunkSize) await flush();
  }
  if (chunk.length > 0) await flush();

  await checkpoints.save(options.importId, 'SUCCEEDED', progress, source);
  return { importId: options.importId, ...progress, alreadyDone: false, resumedAfterLine };
}

function addProblem(problems: ReportedProblem[], problem: ReportedProblem): void {
  if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
}

/** Validates, deduplicates and loads one chunk of records; returns the progress after it. */
async function loadChunk(
  options: ImportJobOptions,
  records: readonly ImportLine[],
  before: ImportProgress,
  now: Date,
  log: NonNullable<ImportJobOptions['log']>,
): Promise<ImportProgress> {
  const concurrency = options.concurrency ?? 8;
  const problems = [...before.problems];
  let { loaded, existing, duplicates, invalid } = before;

  // Valid records, normalised, first occurrence of each email in the chunk.
  const candidates = new Map<string, { line: number; user: User }>();
  for (const record of records) {
    if (record.record === undefined) {
      invalid += 1;
      addProblem(problems, { line: record.line, kind: 'invalid', reason: record.error });
      log('Invalid record', { importId: options.importId, line: record.line, reason: record.error });
      continue;
    }
    const user = buildUser(normaliseNewUser(record.record), now);
    const first = candidates.get(user.id);
    if (first !== undefined) {
      duplicates += 1;
      addProblem(problems, { line: record.line, kind: 'duplicate', reason: duplicateReason.inFile(user.email, first.line) });
      log('Duplicate email in the file', { importId: options.importId, line: record.line, email: user.email });
      continue;
    }
    candidates.set(user.id, { line: record.line, user });
  }

  // Which of them exist already, and who wrote them.
  const stored = new Map<string, { importId?: string; importLine?: number }>();
  await forEachLimited(chunksOf([...candidates.keys()], MAX_GET_BATCH), concurrency, async (ids) => {
    const items = await batchGet(
      options.dynamo,
      options.usersTable,
      ids.map((id) => ({ id: { S: id } })),
      { expression: '#id, #importId, #importLine', names: { '#id': 'id', '#importId': IMPORT_ID, '#importLine': IMPORT_LINE } },
    );
    for (const item of items) {
      stored.set(item.id.S as string, { importId: item[IMPORT_ID]?.S, importLine: item[IMPORT_LINE]?.N === undefined ? undefined : Number(item[IMPORT_LINE].N) });
    }
  });

  const toWrite: Record<string, AttributeValue>[] = [];
  for (const [id, { line, user }] of candidates) {
    const found = stored.get(id);
    if (found === undefined) {
      toWrite.push(userItem(user, options.importId, line));
    } else if (found.importId === options.importId && found.importLine === line) {
      loaded += 1; // written by an earlier attempt of this import that died before its checkpoint
    } else if (found.importId === options.importId) {
      duplicates += 1;
      addProblem(problems, { line, kind: 'duplicate', reason: duplicateReason.inFile(user.email, found.importLine ?? 0) });
      log('Duplicate email in the file', { importId: options.importId, line, email: user.email, firstLine: found.importLine });
    } else {
      existing += 1;
      addProblem(problems, { line, kind: 'existing', reason: duplicateReason.existing(user.email) });
      log('Email already belongs to a user', { importId: options.importId, line, email: user.email });
    }
  }

  await forEachLimited(chunksOf(toWrite, MAX_WRITE_BATCH), concurrency, (items) => batchWrite(options.dynamo, options.usersTable, items));
  loaded += toWrite.length;

  return { lastLine: before.lastLine, loaded, existing, duplicates, invalid, problems };
}

function userItem(user: User, importId: string, line: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    id: { S: user.id },
    name: { S: user.name },
    email: { S: user.email },
    createdAt: { S: user.createdAt },
    [IMPORT_ID]: { S: importId },
    [IMPORT_LINE]: { N: String(line) },
  };
  if (user.phone !== undefined) item.phone = { S: user.phone };
  return item;
}
