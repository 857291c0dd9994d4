import { NoValidRecordsError } from '../domain/import-errors';
import { importFormatOf, readImportRecords } from '../domain/import-file';
import {
  chunkText,
  importRunKeys,
  IMPORT_CHUNK_RECORDS,
  IMPORT_CHUNK_SIZE_VARIABLE,
  PROBLEM_SAMPLE_SIZE,
  type ChunkLine,
  type ImportExecutionInput,
  type LineProblem,
  type ValidationResult,
} from '../domain/import-job';
import type { NewUser } from '../domain/user';
import { optionalIntEnv, requireIntEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { stepFunctionsTask } from '../shared/tasks';

/**
 * Validate: streams the import file from S3, checks each record against the users API schema,
 * writes the valid ones in chunks and a report of the invalid lines. A file above the large-import
 * threshold is not read at all: the state machine sends it to the long-running path.
 */
export const handler = stepFunctionsTask(
  async (input: ImportExecutionInput): Promise<ValidationResult> => {
    const threshold = requireIntEnv('LARGE_IMPORT_THRESHOLD_BYTES', { min: 1 });
    const chunkRecords = optionalIntEnv(IMPORT_CHUNK_SIZE_VARIABLE, { min: 1 }) ?? IMPORT_CHUNK_RECORDS;
    const format = importFormatOf(input.key);
    const bucket = uploadsBucket();
    const keys = importRunKeys(input.importId);
    const { body, sizeBytes } = await bucket.open(input.key, input.versionId, input.bucket);
    const objectVersion = input.versionId ?? '';

    if (sizeBytes > threshold) {
      body.destroy();
      logger.info('Import too large for Lambda', { sizeBytes, threshold });
      return { sizeBytes, objectVersion, validRecords: 0, invalidRecords: 0, chunkCount: 0, invalidSample: [] };
    }

    let chunk: ChunkLine<NewUser>[] = [];
    let chunkCount = 0;
    let validRecords = 0;
    const invalid: LineProblem[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      await bucket.putText(keys.validChunk(chunkCount), chunkText(chunk), 'application/x-ndjson');
      chunkCount += 1;
      chunk = [];
    };

    for await (const entry of readImportRecords(body, format)) {
      if (entry.error !== undefined) {
        invalid.push({ line: entry.line, reason: entry.error });
        continue;
      }
      validRecords += 1;
      chunk.push({ line: entry.line, record: entry.record });
      if (chunk.length >= chunkRecords) await flush();
    }
    await flush();
    await bucket.putText(
      keys.invalidReport,
      invalid.map((problem) => JSON.stringify(problem)).join('\n') + (invalid.length > 0 ? '\n' : ''),
      'application/x-ndjson',
    );

    const invalidSample = invalid.slice(0, PROBLEM_SAMPLE_SIZE);
    logger.info('Import validated', { sizeBytes, validRecords, invalidRecords: invalid.length, chunkCount });
    if (validRecords === 0) {
      const examples = invalidSample.slice(0, 3).map((problem) => `line ${problem.line}: ${problem.reason}`);
      throw new NoValidRecordsError(
        invalid.length === 0 ? 'The file has no records' : `None of the ${invalid.length} records is valid (${examples.join('; ')})`,
      );
    }
    return { sizeBytes, objectVersion, validRecords, invalidRecords: invalid.length, chunkCount, invalidSample };
  },
  { logKeys: (input) => ({ importId: input.importId }) },
);
