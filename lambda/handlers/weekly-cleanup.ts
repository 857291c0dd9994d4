import type { Context } from 'aws-lambda';
import { CLEANUP_CHECKPOINT_KEY, parseCheckpoint, runCleanup, type CleanupInput, type CleanupReport } from '../domain/cleanup';
import { clock } from '../shared/clock';
import { requireIntEnv } from '../shared/env';
import { logger } from '../shared/logger';
import { uploadsBucket } from '../shared/bucket-stores';
import { scheduledJob } from '../shared/scheduled';

/** Time kept back from the Lambda timeout to save the checkpoint and return. */
const SAFETY_MARGIN_MS = 20_000;

/**
 * The weekly cleanup (EventBridge Scheduler, every 7 days): removes expired objects under
 * `incoming/`, `imports/` and `import-runs/`, a bounded amount per run, resuming where the last
 * run stopped. `{"dryRun": true}` reports what it would delete and changes nothing.
 */
export const handler = scheduledJob('weekly-cleanup', async (input: CleanupInput | undefined, context: Context): Promise<CleanupReport> => {
  const dryRun = input?.dryRun === true;
  const artefactsMaxAgeDays = requireIntEnv('IMPORT_ARTEFACTS_MAX_AGE_DAYS', { min: 1 });
  const bucket = uploadsBucket();
  const from = parseCheckpoint(await bucket.getText(CLEANUP_CHECKPOINT_KEY));
  const report = await runCleanup({
    bucket,
    now: clock.now(),
    dryRun,
    from,
    maxAgeDays: {
      incoming: requireIntEnv('INCOMING_MAX_AGE_DAYS', { min: 1 }),
      importSources: artefactsMaxAgeDays,
      importRuns: artefactsMaxAgeDays,
    },
    maxObjectsPerRun: requireIntEnv('CLEANUP_MAX_OBJECTS_PER_RUN', { min: 1 }),
    hasTimeLeft: () => context.getRemainingTimeInMillis() > SAFETY_MARGIN_MS,
  });
  if (!dryRun) await bucket.putText(CLEANUP_CHECKPOINT_KEY, JSON.stringify(report.resumeAt) + '\n', 'application/json');
  logger.info('Weekly cleanup finished', { ...report });
  return report;
});
