import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { handler as dailyReport } from '../../lambda/handlers/daily-report';
import { handler as weeklyCleanup } from '../../lambda/handlers/weekly-cleanup';
import { CLEANUP_CHECKPOINT_KEY } from '../../lambda/domain/cleanup';
import { clock } from '../../lambda/shared/clock';
import { logger } from '../../lambda/shared/logger';
import { lambdaContext } from '../support/events';
import { useLocalAws } from '../support/local-aws-env';
import { startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { startLocalS3, type LocalS3 } from '../support/local-s3';
import { startLocalSnsSink, type LocalSnsSink } from '../support/local-sns-sink';
import { createActivityTable } from '../support/stateful-tables';

const BUCKET = 'uploads-jobs-test';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:reports';
/** What the scheduler passes as `<aws.scheduler.scheduled-time>` for 09:00 London on 21 November 2026. */
const SCHEDULED_TIME = '2026-11-21T09:00:00Z';

let dynamo: LocalDynamo;
let s3: LocalS3;
let sns: LocalSnsSink;
let activityTable: string;

/** Fixes the handlers' clock (not Date: request signing and the local servers keep real time). */
function fixClock(at: string): void {
  jest.spyOn(clock, 'now').mockReturnValue(new Date(at));
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  s3 = await startLocalS3();
  sns = await startLocalSnsSink();
  await s3.createBucket(BUCKET);
  useLocalAws({ dynamodb: dynamo.endpoint, s3: s3.endpoint, sns: sns.endpoint });
  activityTable = await createActivityTable(dynamo);
  Object.assign(process.env, {
    ACTIVITY_TABLE_NAME: activityTable,
    UPLOADS_BUCKET_NAME: BUCKET,
    REPORTS_TOPIC_ARN: TOPIC_ARN,
    INCOMING_MAX_AGE_DAYS: '7',
    IMPORT_ARTEFACTS_MAX_AGE_DAYS: '3',
    CLEANUP_MAX_OBJECTS_PER_RUN: '1000',
  });
});

afterAll(async () => {
  await sns.stop();
  await s3.stop();
  await dynamo.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function objectText(key: string): Promise<string | undefined> {
  try {
    const result = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await result.Body!.transformToString();
  } catch {
    return undefined;
  }
}

async function keysUnder(prefix: string): Promise<string[]> {
  const result = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (result.Contents ?? []).map((object) => object.Key!).sort();
}

async function count(day: string, counters: Record<string, number>): Promise<void> {
  const names = Object.keys(counters);
  await dynamo.client.send(
    new UpdateItemCommand({
      TableName: activityTable,
      Key: { pk: { S: `DAY#${day}` } },
      UpdateExpression: `ADD ${names.map((name) => `#${name} :${name}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name) => [`:${name}`, { N: String(counters[name]) }])),
    }),
  );
}

describe('daily report', () => {
  it("writes the previous day's counters to reports/daily/ and publishes a summary", async () => {
    await count('2026-11-20', { usersCreated: 12, filesProcessed: 30, filesFailed: 2, importsSucceeded: 3, importsFailed: 1 });
    // Another day's activity must not leak into the report.
    await count('2026-11-21', { usersCreated: 99 });
    const publishedBefore = sns.published.length;

    const result = await dailyReport({ scheduledTime: SCHEDULED_TIME }, lambdaContext('daily-report'));

    expect(result).toMatchObject({ day: '2026-11-20', key: 'reports/daily/2026-11-20.json', created: true });
    expect(JSON.parse((await objectText('reports/daily/2026-11-20.json'))!)).toEqual({
      day: '2026-11-20',
      usersCreated: 12,
      files: { processed: 30, failed: 2 },
      imports: { succeeded: 3, failed: 1 },
    });
    expect(sns.published.slice(publishedBefore)).toEqual([
      {
        topicArn: TOPIC_ARN,
        subject: 'Daily report 2026-11-20',
        message: 'Daily report for 2026-11-20: 12 users created; files 30 processed, 2 failed; imports 3 succeeded, 1 failed.',
      },
    ]);
  });

  it('returns the stored report, and publishes nothing, when the same day runs again', async () => {
    await dailyReport({ scheduledTime: '2026-11-11T09:00:00Z' }, lambdaContext('daily-report'));
    const first = await objectText('reports/daily/2026-11-10.json');
    const publishedAfterFirst = sns.published.length;
    await count('2026-11-10', { usersCreated: 5 });

    const second = await dailyReport({ scheduledTime: '2026-11-11T09:00:00Z' }, lambdaContext('daily-report'));

    expect(second.created).toBe(false);
    expect(await objectText('reports/daily/2026-11-10.json')).toBe(first);
    expect(sns.published).toHaveLength(publishedAfterFirst);
    expect(await keysUnder('reports/daily/2026-11-10')).toEqual(['reports/daily/2026-11-10.json']);
  });

  it('reports zeros for a day with no activity', async () => {
    const result = await dailyReport({ scheduledTime: '2026-06-02T08:00:00Z' }, lambdaContext('daily-report'));

    expect(result.report).toEqual({
      day: '2026-06-01',
      usersCreated: 0,
      files: { processed: 0, failed: 0 },
      imports: { succeeded: 0, failed: 0 },
    });
    expect(JSON.parse((await objectText('reports/daily/2026-06-01.json'))!)).toEqual(result.report);
  });

  it('uses the current time when the event carries no scheduled time', async () => {
    fixClock('2026-03-05T09:00:00Z');

    const result = await dailyReport({}, lambdaContext('daily-report'));

    expect(result.day).toBe('2026-03-04');
  });
});

describe('weekly cleanup', () => {
  const put = (key: string) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));

  beforeAll(async () => {
    await Promise.all(
      [
        'incoming/a.txt',
        'incoming/b.txt',
        'imports/old.jsonl',
        'import-runs/import-old-1/valid/00000.jsonl',
        'import-runs/import-old-1/invalid.jsonl',
        'reports/daily/2026-01-01.json',
      ].map(put),
    );
  });

  it('reports what it would delete in a dry run and deletes nothing', async () => {
    // Ten days on: incoming/ (7 days) and import artefacts (3 days) have all expired.
    fixClock(new Date(Date.now() + 10 * 86_400_000).toISOString());

    const report = await weeklyCleanup({ dryRun: true }, lambdaContext('weekly-cleanup', 600_000));

    expect(report).toMatchObject({ dryRun: true, complete: true, deleted: { incoming: 2, importSources: 1, importRuns: 2 } });
    expect(await keysUnder('incoming/')).toEqual(['incoming/a.txt', 'incoming/b.txt']);
    expect(await objectText(CLEANUP_CHECKPOINT_KEY)).toBeUndefined();
  });

  it('keeps objects younger than their maximum age', async () => {
    // Five days on: import artefacts (3 days) have expired, incoming/ (7 days) has not.
    fixClock(new Date(Date.now() + 5 * 86_400_000).toISOString());

    const report = await weeklyCleanup({ dryRun: true }, lambdaContext('weekly-cleanup', 600_000));

    expect(report.deleted).toEqual({ incoming: 0, importSources: 1, importRuns: 2 });
  });

  it('stops when its time budget runs out and resumes where it stopped on the next run', async () => {
    fixClock(new Date(Date.now() + 10 * 86_400_000).toISOString());

    const outOfTime = await weeklyCleanup({}, lambdaContext('weekly-cleanup', 1_000));

    expect(outOfTime).toMatchObject({ complete: false, resumeAt: { phase: 'incoming' } });
    expect(await keysUnder('incoming/')).toHaveLength(2);

    process.env.CLEANUP_MAX_OBJECTS_PER_RUN = '1';
    const firstPage = await weeklyCleanup({}, lambdaContext('weekly-cleanup', 600_000));
    process.env.CLEANUP_MAX_OBJECTS_PER_RUN = '1000';

    expect(firstPage).toMatchObject({
      complete: false,
      deleted: { incoming: 1 },
      resumeAt: { phase: 'incoming', startAfter: 'incoming/a.txt' },
    });
    expect(JSON.parse((await objectText(CLEANUP_CHECKPOINT_KEY))!)).toEqual({ phase: 'incoming', startAfter: 'incoming/a.txt' });

    const rest = await weeklyCleanup({}, lambdaContext('weekly-cleanup', 600_000));

    expect(rest).toMatchObject({ complete: true, deleted: { incoming: 1, importSources: 1, importRuns: 2 } });
    expect(await keysUnder('incoming/')).toEqual([]);
    expect(await keysUnder('imports/')).toEqual([]);
    expect(await keysUnder('import-runs/')).toEqual([]);
  });

  it('never deletes daily reports', async () => {
    expect(await keysUnder('reports/daily/2026-01-01')).toEqual(['reports/daily/2026-01-01.json']);
  });

  it('fails the run loudly when a configured age is not a whole number of days', async () => {
    const configured = process.env.INCOMING_MAX_AGE_DAYS;
    process.env.INCOMING_MAX_AGE_DAYS = 'seven';
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      await expect(weeklyCleanup({}, lambdaContext('weekly-cleanup', 600_000))).rejects.toThrow(
        /INCOMING_MAX_AGE_DAYS must be a whole number/,
      );
    } finally {
      process.env.INCOMING_MAX_AGE_DAYS = configured;
      error.mockRestore();
    }
  });
});
