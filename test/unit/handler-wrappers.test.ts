import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { requireIntEnv, optionalIntEnv } from '../../lambda/shared/env';
import { logger } from '../../lambda/shared/logger';
import { scheduledJob } from '../../lambda/shared/scheduled';
import { sqsBatchHandler } from '../../lambda/shared/sqs';
import { stepFunctionsTask } from '../../lambda/shared/tasks';
import { fixture, lambdaContext } from '../support/events';

const context = lambdaContext('wrappers');

function sqsEvent(...bodies: string[]): SQSEvent {
  const [sample] = fixture<SQSEvent>('sqsEvent.json').Records;
  return { Records: bodies.map((body, index): SQSRecord => ({ ...sample, messageId: `message-${index}`, body })) };
}

describe('sqsBatchHandler', () => {
  it('reports exactly the records that threw as batch item failures, and handles the rest', async () => {
    const handled: string[] = [];
    const handler = sqsBatchHandler(async (record) => {
      if (record.body === 'bad') throw new Error('cannot handle');
      handled.push(record.body);
    });

    const response = await handler(sqsEvent('one', 'bad', 'three', 'bad'), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-3' }] });
    expect(handled).toEqual(['one', 'three']);
  });

  it('reports no failures for a batch that succeeded', async () => {
    const handler = sqsBatchHandler(async () => undefined);

    expect(await handler(sqsEvent('one', 'two'), context)).toEqual({ batchItemFailures: [] });
  });

  it('handles records one after another, in order', async () => {
    const events: string[] = [];
    const handler = sqsBatchHandler(async (record) => {
      events.push(`start ${record.body}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${record.body}`);
    });

    await handler(sqsEvent('a', 'b'), context);

    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it("logs a failed record's message ID with its error", async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      await sqsBatchHandler(async () => {
        throw new Error('boom');
      })(sqsEvent('x'), context);
      expect(error).toHaveBeenCalledTimes(1);
      expect(error.mock.calls[0][1]).toMatchObject({ messageId: 'message-0', error: { message: 'boom' } });
    } finally {
      error.mockRestore();
    }
  });
});

describe('stepFunctionsTask', () => {
  it("returns the task's output", async () => {
    const task = stepFunctionsTask(async (input: { n: number }) => ({ doubled: input.n * 2 }));

    expect(await task({ n: 21 }, context)).toEqual({ doubled: 42 });
  });

  it("lets a typed error through unchanged, so the state machine's Retry and Catch match its name", async () => {
    class ImportGoneError extends Error {
      override readonly name = 'ImportGoneError';
    }
    const task = stepFunctionsTask(async () => {
      throw new ImportGoneError('gone');
    });

    await expect(task({}, context)).rejects.toMatchObject({ name: 'ImportGoneError', message: 'gone' });
  });
});

describe('scheduledJob', () => {
  it('returns what the job returns, and rethrows what it throws', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      expect(
        await scheduledJob('ok', async (input: { dryRun?: boolean } | undefined) => input?.dryRun ?? false)({ dryRun: true }, context),
      ).toBe(true);
      const failing = scheduledJob('failing', async () => {
        throw new Error('no bucket');
      });
      await expect(failing(undefined, context)).rejects.toThrow('no bucket');
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      error.mockRestore();
    }
  });
});

describe('whole-number environment variables', () => {
  const NAME = 'WRAPPERS_TEST_NUMBER';
  afterEach(() => {
    delete process.env[NAME];
  });

  it('reads a whole number', () => {
    process.env[NAME] = '30';
    expect(requireIntEnv(NAME, { min: 1 })).toBe(30);
  });

  it.each(['', 'abc', '1.5', '0', '-3', '30 days'])('refuses %j, naming the variable', (raw) => {
    process.env[NAME] = raw;
    expect(() => requireIntEnv(NAME, { min: 1 })).toThrow(NAME);
  });

  it('gives undefined for an optional variable that is not set, and checks one that is', () => {
    expect(optionalIntEnv(NAME)).toBeUndefined();
    process.env[NAME] = 'x';
    expect(() => optionalIntEnv(NAME)).toThrow(NAME);
  });
});
