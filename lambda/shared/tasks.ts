import type { Context } from 'aws-lambda';
import { logger } from './logger';

export type TaskHandler<Input, Output> = (input: Input, context: Context) => Promise<Output>;

export interface StepFunctionsTaskOptions<Input> {
  /** Log keys that identify the work (for example the import ID), added to every line while the task runs. */
  readonly logKeys?: (input: Input) => Record<string, unknown>;
}

/**
 * Wraps a Step Functions Task handler. Errors are not caught: the function fails with the error's
 * `name` as its error type, which is what the state machine's Retry and Catch match on, so a task
 * throws typed errors (`ImportNotFoundError`, ...) and the state machine decides. Every log line
 * carries the invocation's request ID and the task's log keys.
 */
export function stepFunctionsTask<Input, Output>(
  handle: TaskHandler<Input, Output>,
  options: StepFunctionsTaskOptions<Input> = {},
): TaskHandler<Input, Output> {
  return async (input, context) => {
    logger.addContext(context);
    if (options.logKeys) logger.appendKeys(options.logKeys(input));
    try {
      return await handle(input, context);
    } finally {
      logger.resetKeys();
    }
  };
}
