import { failureMessage, type CaughtFailure, type LoadResult, type ValidationResult } from '../domain/import-job';
import { requireEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { activityStore, importsStore } from '../shared/stores';
import type { ImportOutcome } from '../store/imports-store';

export type RecordOutcomeInput =
  | { readonly outcome: 'SUCCEEDED'; readonly importId: string; readonly validation: ValidationResult; readonly load: LoadResult }
  | { readonly outcome: 'FAILED'; readonly importId: string; readonly failure: CaughtFailure };

/**
 * The last step of every import, on both paths: records the outcome in the imports table (what
 * GET /imports/{id} reads) and counts it in the day's activity (what the daily report reads).
 * The first call for an import wins; a retried call changes and counts nothing.
 */
export const handler = async (input: RecordOutcomeInput): Promise<{ recorded: boolean }> => {
  logger.appendKeys({ importId: input.importId });
  const now = new Date();
  const retentionDays = Number(requireEnv('IMPORT_RECORD_RETENTION_DAYS'));
  const outcome: ImportOutcome =
    input.outcome === 'SUCCEEDED'
      ? {
          status: 'SUCCEEDED',
          validRecords: input.validation.validRecords,
          invalidRecords: input.validation.invalidRecords,
          loaded: input.load.loaded,
          duplicates: input.load.duplicates,
          invalidSample: input.validation.invalidSample,
          duplicateSample: input.load.duplicateSample,
        }
      : { status: 'FAILED', error: input.failure.Error, errorMessage: failureMessage(input.failure) };

  const recorded = await importsStore().finish(input.importId, outcome, now, retentionDays);
  if (recorded) {
    const activity = activityStore();
    if (outcome.status === 'SUCCEEDED') {
      await activity.add('importsSucceeded', now);
      if (outcome.loaded > 0) await activity.add('usersCreated', now, outcome.loaded);
    } else {
      await activity.add('importsFailed', now);
    }
  }
  logger.info('Import outcome recorded', { status: outcome.status, recorded });
  return { recorded };
};
