import type { APIGatewayProxyResult, S3Event, SNSMessage, SQSEvent } from 'aws-lambda';
import { handler as getImport } from '../../lambda/handlers/get-import';
import { handler as startImport } from '../../lambda/handlers/start-import';
import { handler as recordOutcome } from '../../lambda/handlers/import-record-outcome';
import { handler as validate } from '../../lambda/handlers/import-validate';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { UserImportStore } from '../../lambda/store/user-import-store';
import { importIdFor } from '../../lambda/domain/import-job';
import { ImportsStore } from '../../lambda/store/imports-store';
import { ImportCheckpointsStore } from '../../lambda/store/import-checkpoints-store';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { apiEvent, fixture, lambdaContext } from '../support/events';
import { useLocalAws } from '../support/local-aws-env';
import { createTableFromTemplate, startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { startLocalSfnSink, type LocalSfnSink } from '../support/local-sfn-sink';
import { statefulStackTemplate } from '../support/stateful-tables';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:imports';

let dynamo: LocalDynamo;
let sfn: LocalSfnSink;
let importsTable: string;
let checkpointsTable: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  sfn = await startLocalSfnSink();
  useLocalAws({ dynamodb: dynamo.endpoint, sfn: sfn.endpoint });
  process.env.AWS_MAX_ATTEMPTS = '1';
  importsTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ImportsTable');
  checkpointsTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ImportCheckpointsTable');
  const activityTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ActivityTable');
  Object.assign(process.env, {
    IMPORTS_TABLE_NAME: importsTable,
    CHECKPOINTS_TABLE_NAME: checkpointsTable,
    ACTIVITY_TABLE_NAME: activityTable,
    IMPORT_RECORD_RETENTION_DAYS: '7',
    IMPORT_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
  });
});

afterAll(async () => {
  await sfn.stop();
  await dynamo.stop();
});

/** An SQS message wrapping an SNS notification wrapping an S3 event, built from AWS's samples. */
function queueEvent(objects: { key: string; versionId?: string; sequencer?: string }[], messageId = 'message-1'): SQSEvent {
  const s3Event = fixture<S3Event>('s3Event.json');
  const template = s3Event.Records[0];
  const records = objects.map((object) => ({
    ...template,
    s3: {
      ...template.s3,
      bucket: { ...template.s3.bucket, name: 'uploads-bucket' },
      object: {
        ...template.s3.object,
        key: object.key,
        sequencer: object.sequencer ?? template.s3.object.sequencer,
        ...(object.versionId ? { versionId: object.versionId } : {}),
      },
    },
  }));
  const sqs = fixture<SQSEvent>('snsSqsEvent.json');
  const envelope = JSON.parse(sqs.Records[0].body) as SNSMessage;
  return {
    Records: [{ ...sqs.Records[0], messageId, body: JSON.stringify({ ...envelope, Message: JSON.stringify({ Records: records }) }) }],
  };
}

function get(id: string): Promise<APIGatewayProxyResult> {
  return getImport(
    apiEvent({ method: 'GET', resource: '/imports/{id}', path: `/imports/${id}`, pathParameters: { id } }),
    lambdaContext('get-import'),
  );
}

describe('start-import', () => {
  it('starts one execution per new object version, named by key and version, and records it as running', async () => {
    const result = await startImport(queueEvent([{ key: 'imports/team+users.csv', versionId: 'v1' }]));

    expect(result.batchItemFailures).toEqual([]);
    const importId = importIdFor('imports/team users.csv', 'v1');
    expect(sfn.started).toContainEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: importId,
      input: {
        importId,
        bucket: 'uploads-bucket',
        key: 'imports/team users.csv',
        versionId: 'v1',
        submittedAt: '2019-09-03T19:37:27.192Z',
      },
    });
    const response = await get(importId);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ id: importId, status: 'RUNNING', key: 'imports/team users.csv' });
  });

  it('treats a duplicate event for the same object version as done, starting nothing new', async () => {
    const event = queueEvent([{ key: 'imports/twice.jsonl', versionId: 'v7' }]);
    await startImport(event);
    const startedBefore = sfn.started.length;

    const again = await startImport(event);

    expect(again.batchItemFailures).toEqual([]);
    expect(sfn.started).toHaveLength(startedBefore);
  });

  it('ignores objects outside imports/ and the test event S3 sends when notifications are set up', async () => {
    const startedBefore = sfn.started.length;
    const testEvent = queueEvent([]);
    testEvent.Records[0].body = JSON.stringify({
      ...JSON.parse(testEvent.Records[0].body),
      Message: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
    });

    const results = [await startImport(queueEvent([{ key: 'incoming/photo.png' }])), await startImport(testEvent)];

    expect(results.map((result) => result.batchItemFailures)).toEqual([[], []]);
    expect(sfn.started).toHaveLength(startedBefore);
  });

  it('returns a message whose start failed as a batch item failure, so SQS retries it', async () => {
    sfn.throttleNext(1);

    const result = await startImport(queueEvent([{ key: 'imports/throttled.csv', versionId: 'v1' }], 'message-throttled'));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'message-throttled' }]);
  });
});

describe('GET /imports/{id}', () => {
  it('shows the counts of a finished import, without the table housekeeping', async () => {
    const importId = importIdFor('imports/done.jsonl', 'v1');
    const store = new ImportsStore(DynamoDBDocumentClient.from(dynamo.client), importsTable);
    await store.register({
      importId,
      bucket: 'uploads-bucket',
      key: 'imports/done.jsonl',
      versionId: 'v1',
      submittedAt: '2026-11-20T10:00:00.000Z',
    });
    await store.finish(
      importId,
      {
        status: 'SUCCEEDED',
        validRecords: 3,
        invalidRecords: 1,
        loaded: 2,
        duplicates: 1,
        invalidSample: [{ line: 4, reason: 'email: must be an email address' }],
        duplicateSample: [{ line: 2, reason: 'a user with the email a@example.com already exists' }],
      },
      new Date('2026-11-20T10:01:00.000Z'),
      7,
    );

    const response = await get(importId);

    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: importId,
      status: 'SUCCEEDED',
      loaded: 2,
      duplicates: 1,
      invalidRecords: 1,
      finishedAt: '2026-11-20T10:01:00.000Z',
    });
    expect(body).not.toHaveProperty('expiresAt');
  });

  it('answers 404 for an unknown import and for an ID that cannot be one', async () => {
    const responses = [await get(importIdFor('imports/never.csv', 'v1')), await get('../../etc/passwd')];

    expect(responses.map((response) => response.statusCode)).toEqual([404, 404]);
  });
});

describe('record-outcome after the Fargate import job', () => {
  it('refuses to record success when the job checkpoint does not say SUCCEEDED, leaving the import running', async () => {
    const importId = importIdFor('imports/unfinished.jsonl', 'v1');
    await new ImportsStore(DynamoDBDocumentClient.from(dynamo.client), importsTable).register({
      importId,
      bucket: 'uploads-bucket',
      key: 'imports/unfinished.jsonl',
      submittedAt: '2026-11-20T10:00:00.000Z',
    });
    await dynamo.client.send(
      new PutItemCommand({
        TableName: checkpointsTable,
        Item: { importId: { S: importId }, status: { S: 'RUNNING' }, lastLine: { N: '1000' }, loaded: { N: '1000' } },
      }),
    );

    await expect(recordOutcome({ outcome: 'JOB_SUCCEEDED', importId }, lambdaContext('import-record-outcome'))).rejects.toMatchObject({
      name: 'ImportCheckpointMissingError',
    });

    const item = await dynamo.client.send(new GetItemCommand({ TableName: importsTable, Key: { id: { S: importId } } }));
    expect(item.Item?.status).toEqual({ S: 'RUNNING' });
  });
});

describe('import task configuration', () => {
  it('fails a task loudly, naming the variable, when a numeric setting is not a whole number', async () => {
    const saved = { threshold: process.env.LARGE_IMPORT_THRESHOLD_BYTES, retention: process.env.IMPORT_RECORD_RETENTION_DAYS };
    const input = { importId: 'import-config', bucket: 'uploads', key: 'imports/users.jsonl', submittedAt: '2026-11-30T10:00:00Z' };
    try {
      // Before: the threshold was NaN, no size is above NaN, so every file went down the Lambda path.
      process.env.LARGE_IMPORT_THRESHOLD_BYTES = '3MB';
      await expect(validate(input, lambdaContext('import-validate'))).rejects.toThrow(
        /LARGE_IMPORT_THRESHOLD_BYTES must be a whole number/,
      );
      process.env.IMPORT_RECORD_RETENTION_DAYS = 'a week';
      await expect(
        recordOutcome(
          { outcome: 'FAILED', importId: 'import-config', failure: { Error: 'X', Cause: 'y' } },
          lambdaContext('import-record-outcome'),
        ),
      ).rejects.toThrow(/IMPORT_RECORD_RETENTION_DAYS must be a whole number/);
    } finally {
      for (const [name, value] of [
        ['LARGE_IMPORT_THRESHOLD_BYTES', saved.threshold],
        ['IMPORT_RECORD_RETENTION_DAYS', saved.retention],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('UserImportStore', () => {
  it('learns who owns a taken ID from the item DynamoDB returns with the failed condition, without a read', async () => {
    const sent: string[] = [];
    const client = {
      send: async (command: object) => {
        sent.push(command.constructor.name);
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { id: { S: 'u-1' }, importId: { S: 'import-a' }, importLine: { N: '7' } },
        });
      },
    } as unknown as DynamoDBDocumentClient;

    const outcome = await new UserImportStore(client, 'users').createIfAbsent({
      id: 'u-1',
      name: 'Ada',
      email: 'ada@example.com',
      createdAt: '2026-11-20T10:00:00.000Z',
      importId: 'import-b',
      importLine: 3,
    });

    expect(outcome).toEqual({ created: false, owner: { importId: 'import-a', importLine: 7 } });
    expect(sent).toEqual(['PutCommand']);
  });
});

describe('ImportCheckpointsStore', () => {
  const progress = { lastLine: 10, loaded: 9, existing: 0, duplicates: 1, invalid: 0, problems: [] };

  it('never turns a succeeded import into a failed one (an overtaken attempt failing after the other finished)', async () => {
    const store = new ImportCheckpointsStore(DynamoDBDocumentClient.from(dynamo.client), checkpointsTable);
    const importId = importIdFor('imports/overtaken.csv', 'v1');
    await store.save(importId, 'SUCCEEDED', progress);

    await store.markFailed(importId, 'StaleCheckpointError: Import has a later checkpoint than line 5: another attempt is running it');

    expect(await store.get(importId)).toMatchObject({ status: 'SUCCEEDED', failure: undefined, loaded: 9 });
  });

  it('still marks a running import failed, keeping its progress for the next attempt', async () => {
    const store = new ImportCheckpointsStore(DynamoDBDocumentClient.from(dynamo.client), checkpointsTable);
    const importId = importIdFor('imports/stopped.csv', 'v1');
    await store.save(importId, 'RUNNING', progress);

    await store.markFailed(importId, 'ImportStoppedError: stopped after line 10');

    expect(await store.get(importId)).toMatchObject({
      status: 'FAILED',
      failure: 'ImportStoppedError: stopped after line 10',
      lastLine: 10,
    });
  });
});
