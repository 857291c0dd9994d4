import { ImportCheckpointMissingError } from '../domain/import-errors';
import { failureMessage, jobOutcome, type CaughtFailure, type LoadResult, type ValidationResult } from '../domain/import-job';
import { requireIntEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { activityStore, importCheckpointsStore, importsStore } from '../shared/table-stores';
import { stepFunctionsTask } from '../shared/tasks';
import type { ImportOutcome } from '../store/imports-store';

/** The error Step Functions gives a `runTask.sync` state whose container exited non-zero. */
export const JOB_FAILED_ERROR = 'States.TaskFailed';

export type RecordOutcomeInput =
  /** The Lambda path finished: the counts travel in the state. */
  | { readonly outcome: 'SUCCEEDED'; readonly importId: string; readonly validation: ValidationResult; readonly load: LoadResult }
  /** The Fargate job exited 0: the counts are in its checkpoint. */
  | { readonly outcome: 'JOB_SUCCEEDED'; readonly importId: string }
  | { readonly outcome: 'FAILED'; readonly importId: string; readonly failure: CaughtFailure };

async function outcomeOf(input: RecordOutcomeInput): Promise<ImportOutcome> {
  if (input.outcome === 'SUCCEEDED') {
    return {
      status: 'SUCCEEDED',
      validRecords: input.validation.validRecords,
      invalidRecords: input.validation.invalidRecords,
      loaded: input.load.loaded,
      duplicates: input.load.duplicates,
      invalidSample: input.validation.invalidSample,
      duplicateSample: input.load.duplicateSample,
    };
  }
  if (input.outcome === 'JOB_SUCCEEDED') {
    const checkpoint = await importCheckpointsStore().get(input.importId);
    if (checkpoint?.status !== 'SUCCEEDED') {
      throw new ImportCheckpointMissingError(
        `The import job exited 0 but its checkpoint is ${checkpoint === undefined ? 'missing' : checkpoint.status}`,
      );
    }
    return { status: 'SUCCEEDED', ...jobOutcome(checkpoint) };
  }
  let errorMessage = failureMessage(input.failure);
  if (input.failure.Error === JOB_FAILED_ERROR) {
    // Step Functions' cause is the stopped ECS task (exit code, stop reason); why the job failed
    // is what the job itself wrote into its checkpoint before exiting.
    const checkpoint = await importCheckpointsStore().get(input.importId);
    if (checkpoint?.failure !== undefined) errorMessage = checkpoint.failure;
  }
  return { status: 'FAILED', error: input.failure.Error, errorMessage };
}

/**
 * The last step of every import, on every path: records the outcome in the imports table (what
 * GET /imports/{id} reads) and counts it in the day's activity (what the daily report reads).
 * The first call for an import wins; a retried call changes and counts nothing.
 */
export const handler = stepFunctionsTask(
  async (input: RecordOutcomeInput): Promise<{ recorded: boolean }> => {
    const now = new Date();
    const retentionDays = requireIntEnv('IMPORT_RECORD_RETENTION_DAYS', { min: 1 });
    const outcome = await outcomeOf(input);

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
  },
  { logKeys: (input) => ({ importId: input.importId }) },
);
