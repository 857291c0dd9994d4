import { importRunKeys, parseChunk, PROBLEM_SAMPLE_SIZE, type ImportExecutionInput, type LineProblem, type LoadResult, type TransformResult } from '../domain/import-job';
import { planChunkLoad } from '../domain/import-load';
import type { NewUser } from '../domain/user';
import { userIdForEmail } from '../domain/user-id';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { userImportStore } from '../shared/table-stores';

export interface LoadInput extends ImportExecutionInput {
  readonly transform: TransformResult;
}

/**
 * Load: writes the normalised chunks to the users table with batch writes. Existing emails are
 * reported as duplicates, never overwritten. Safe to re-run: the counts are recomputed from the
 * table each time, and users this import already wrote are recognised as its own.
 */
export const handler = async (input: LoadInput): Promise<LoadResult> => {
  logger.appendKeys({ importId: input.importId });
  const bucket = uploadsBucket();
  const users = userImportStore();
  const keys = importRunKeys(input.importId);
  const submittedAt = new Date(input.submittedAt);
  const seenEmails = new Map<string, number>();
  const duplicates: LineProblem[] = [];
  let loaded = 0;

  for (let index = 0; index < input.transform.chunkCount; index += 1) {
    const text = await bucket.getText(keys.normalisedChunk(index));
    if (text === undefined) throw new Error(`The normalised chunk ${keys.normalisedChunk(index)} is missing`);
    const lines = parseChunk<NewUser>(text);
    const existing = await users.existing([...new Set(lines.map(({ record }) => userIdForEmail(record.email)))]);
    const plan = planChunkLoad(lines, existing, seenEmails, input.importId, submittedAt);
    await users.putAll(plan.toWrite);
    loaded += plan.toWrite.length + plan.alreadyLoaded;
    duplicates.push(...plan.duplicates);
  }

  await bucket.putText(keys.duplicatesReport, duplicates.map((problem) => JSON.stringify(problem)).join('\n') + (duplicates.length > 0 ? '\n' : ''), 'application/x-ndjson');
  logger.info('Import loaded', { loaded, duplicates: duplicates.length });
  return { loaded, duplicates: duplicates.length, duplicateSample: duplicates.slice(0, PROBLEM_SAMPLE_SIZE) };
};
