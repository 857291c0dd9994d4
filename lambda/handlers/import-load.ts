import type { Context } from 'aws-lambda';
import { runImport } from '../domain/import-engine';
import type { ImportLine } from '../domain/import-file';
import {
  IMPORT_CHUNK_SIZE_VARIABLE,
  importRunKeys,
  jobOutcome,
  parseChunk,
  type ImportExecutionInput,
  type LoadResult,
  type TransformResult,
} from '../domain/import-job';
import type { NewUser } from '../domain/user';
import { optionalIntEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { importCheckpointsStore, userImportStore } from '../shared/table-stores';
import { stepFunctionsTask } from '../shared/tasks';

export interface LoadInput extends ImportExecutionInput {
  readonly transform: TransformResult;
}

/**
 * How much of its time Load keeps back: it stops taking new chunks when less than this is left,
 * so the chunk it is on and its checkpoint finish well before the function's timeout. One chunk
 * (1,000 records) takes about 0.5 s at 15 ms per DynamoDB call (bench/import-load.ts); this leaves
 * room for a chunk slowed a hundredfold by throttling.
 */
export const LOAD_TIME_RESERVE_MS = 60_000;

/**
 * Load: the import engine (the same the Fargate worker runs) fed with the normalised chunks.
 * Existing emails are reported, never overwritten. It works to a time budget: when its remaining
 * time runs low it checkpoints and returns `done: false`, and the state machine runs it again,
 * resuming after the checkpoint. A retried or continued Load counts nothing twice.
 */
export const handler = stepFunctionsTask(
  async (input: LoadInput, context: Context): Promise<LoadResult> => {
    const chunkRecords = optionalIntEnv(IMPORT_CHUNK_SIZE_VARIABLE, { min: 1 });
    const bucket = uploadsBucket();
    const keys = importRunKeys(input.importId);

    async function* records(afterLine: number): AsyncGenerator<ImportLine> {
      for (let index = 0; index < input.transform.chunkCount; index += 1) {
        const text = await bucket.getText(keys.normalisedChunk(index));
        if (text === undefined) throw new Error(`The normalised chunk ${keys.normalisedChunk(index)} is missing`);
        const lines = parseChunk<NewUser>(text);
        if (lines.length === 0 || lines[lines.length - 1].line <= afterLine) continue;
        yield* lines;
      }
    }

    const run = await runImport({
      importId: input.importId,
      records,
      checkpoints: importCheckpointsStore(),
      users: userImportStore(),
      now: () => new Date(input.submittedAt),
      chunkRecords,
      shouldStop: () => context.getRemainingTimeInMillis() < LOAD_TIME_RESERVE_MS,
      log: (message, details) => logger.debug(message, details),
    });
    const { loaded, duplicates, duplicateSample } = jobOutcome(run.progress);
    logger.info(run.status === 'SUCCEEDED' ? 'Import loaded' : 'Load stopped at its time budget; it continues', {
      lastLine: run.progress.lastLine,
      loaded,
      duplicates,
      remainingMs: context.getRemainingTimeInMillis(),
    });
    return { done: run.status === 'SUCCEEDED', loaded, duplicates, duplicateSample };
  },
  { logKeys: (input) => ({ importId: input.importId }) },
);
