import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Readable } from 'node:stream';
import { runImport as runImportEngine, type ImportProgress } from '../../../lambda/domain/import-engine';
import { readImportRecords, type ImportFormat, type ImportLine } from '../../../lambda/domain/import-file';
import { ImportCheckpointsStore } from '../../../lambda/store/import-checkpoints-store';
import { UserImportStore } from '../../../lambda/store/user-import-store';

export { ImportStoppedError } from '../../../lambda/domain/import-engine';

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
  /** Records per checkpoint. @default IMPORT_CHUNK_RECORDS */
  readonly chunkSize?: number;
  /** Conditional puts in flight at once. @default DEFAULT_WRITE_CONCURRENCY */
  readonly concurrency?: number;
  /** Stops the job (deadline, SIGTERM): what it holds is loaded and checkpointed, then it returns STOPPED. */
  readonly signal?: AbortSignal;
  /** Where each reported problem and each checkpoint is logged. */
  readonly log?: (message: string, details: Record<string, unknown>) => void;
  /** The clock, for createdAt. @default () => new Date() */
  readonly now?: () => Date;
}

export interface ImportResult extends ImportProgress {
  readonly importId: string;
  readonly status: 'SUCCEEDED' | 'STOPPED';
  /** True when an earlier attempt had already finished this import and nothing was done. */
  readonly alreadyDone: boolean;
  /** The line this attempt started after (0 on a first attempt). */
  readonly resumedAfterLine: number;
}

/**
 * The Fargate path of an import: the import engine (lambda/domain/import-engine.ts, the same the
 * Load step runs) fed with the file streamed from S3 and read record by record, never whole into
 * memory. Every record is validated, normalised and loaded by the engine.
 */
export async function runImport(options: ImportJobOptions): Promise<ImportResult> {
  const documents = DynamoDBDocumentClient.from(options.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  let body: Readable | undefined;
  async function* records(afterLine: number): AsyncGenerator<ImportLine> {
    const object = await options.s3.send(
      new GetObjectCommand({ Bucket: options.bucket, Key: options.key, ...(options.versionId ? { VersionId: options.versionId } : {}) }),
    );
    if (object.Body === undefined) throw new Error(`s3://${options.bucket}/${options.key} has no body`);
    body = object.Body as Readable;
    for await (const record of readImportRecords(body, options.format)) {
      if (record.line > afterLine) yield record;
    }
  }
  try {
    const run = await runImportEngine({
      importId: options.importId,
      records,
      checkpoints: new ImportCheckpointsStore(documents, options.checkpointsTable, { bucket: options.bucket, key: options.key }),
      users: new UserImportStore(documents, options.usersTable),
      now: options.now,
      chunkRecords: options.chunkSize,
      concurrency: options.concurrency,
      shouldStop: () => options.signal?.aborted === true,
      log: options.log,
    });
    return {
      importId: options.importId,
      ...run.progress,
      status: run.status,
      alreadyDone: run.alreadyDone,
      resumedAfterLine: run.resumedAfterLine,
    };
  } finally {
    // A stopped run leaves the rest of the object unread: close the connection.
    (body as Readable | undefined)?.destroy();
  }
}
