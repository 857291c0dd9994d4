import type { Context } from 'aws-lambda';
import { logger } from './logger';

export type ScheduledJobHandler<Input, Output> = (input: Input | undefined, context: Context) => Promise<Output>;

/**
 * Wraps a job EventBridge Scheduler runs (asynchronously: a failure is retried by Lambda, then its
 * event goes to the job's on-failure destination, see ScheduledJobs). Logs the start and the end of
 * every run with its duration, so a run that failed or stopped early shows in the logs; errors are
 * logged and rethrown, never swallowed, so the retries and the dead-letter queue see them.
 * `input` is what the schedule sends (possibly nothing, when run by hand).
 */
export function scheduledJob<Input, Output>(job: string, run: ScheduledJobHandler<Input, Output>): ScheduledJobHandler<Input, Output> {
  return async (input, context) => {
    logger.addContext(context);
    logger.appendKeys({ job });
    const started = Date.now();
    logger.info('Job started', { input });
    try {
      const output = await run(input ?? undefined, context);
      logger.info('Job finished', { durationMs: Date.now() - started });
      return output;
    } catch (error) {
      logger.error('Job failed; Lambda retries it, then sends the event to the dead-letter queue', {
        durationMs: Date.now() - started,
        error: error as Error,
      });
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
