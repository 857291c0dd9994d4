import '../support/promise-with-resolvers';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand, ScanCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CfnElement } from 'aws-cdk-lib';
import { stacksOf, templateOf, testApp } from '../support/synth';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { ENVIRONMENTS } from '../../lib/config';
import { addEnvironments } from '../../lib/platform';
import { IMPORT_STATES } from '../../lib/constructs/import-pipeline';
import { activityDay } from '../../lambda/domain/activity';
import {
  IMPORT_CHUNK_RECORDS,
  IMPORT_CHUNK_SIZE_VARIABLE,
  importIdFor,
  importRunKeys,
  type ImportExecutionInput,
} from '../../lambda/domain/import-job';
import { userIdForEmail } from '../../lambda/domain/user-id';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handler as createUser } from '../../lambda/handlers/create-user';
import { handler as load, LOAD_TIME_RESERVE_MS } from '../../lambda/handlers/import-load';
import { handler as validate } from '../../lambda/handlers/import-validate';
import { forEachLimited } from '../../lambda/domain/import-engine';
import { apiEvent, lambdaContext } from '../support/events';
import { importStateMachine, type LocalTaskHandler } from '../support/import-state-machine';
import { localAwsEnv, useLocalAws } from '../support/local-aws-env';
import { startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { startLocalS3, type LocalS3 } from '../support/local-s3';
import { createTableFromTemplate } from '../support/local-dynamodb';
import { buildWorkerBundle, spawnWorker } from '../support/worker-process';
import { IMPORT_CONTAINER_NAME } from '../../lib/constructs/import-job';
import type { AppStage } from '../../lib/app-stage';

const BUCKET = 'uploads-import-test';

let dynamo: LocalDynamo;
let s3: LocalS3;
let proxy: http.Server;
/** User PutItem calls the DynamoDB proxy lets through (skip), then fails with a throttling error (fail). */
let failBatchWrites = { skip: 0, fail: 0 };
let usersTable: string;
let importsTable: string;
let activityTable: string;
let checkpointsTable: string;
let workerBundle: string;
let devStage: AppStage;
let machine: ReturnType<typeof importStateMachine>;
/** The same state machine with a 64-byte threshold: every file runs as the Fargate import job. */
let fargateMachine: ReturnType<typeof importStateMachine>;
const FARGATE_THRESHOLD = 64;
/**
 * Records per chunk in these tests, on both paths (IMPORT_CHUNK_SIZE; deployed imports use the
 * default IMPORT_CHUNK_RECORDS, 1,000): a file of CHUNK + 50 records crosses a chunk boundary with
 * a few hundred writes to dynalite instead of thousands.
 */
const CHUNK = 100;

type Json = Parameters<LocalTaskHandler>[0];

/** What the RunImportJob state hands ECS RunTask, as far as the local stand-in reads it. */
interface RunTaskParameters {
  readonly TaskDefinition: string;
  readonly Overrides: { readonly ContainerOverrides: readonly { Name: string; Environment: readonly { Name: string; Value: string }[] }[] };
}

/**
 * Stands in for ECS RunTask (.sync) behind the RunImportJob state: runs the real worker bundle as
 * a process with the import container's environment from the synthesized task definition (each
 * resource name replaced by its local table or bucket) plus the state's container overrides, and
 * answers as Step Functions does: the stopped task when the container exits 0, States.TaskFailed
 * otherwise.
 */
function localImportJob(stage: AppStage) {
  const template = templateOf(stage.containers).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const taskDefinitionId = stage.containers.getLogicalId(stage.containers.importTaskDefinition.node.defaultChild as CfnElement);
  const containers = template.Resources[taskDefinitionId].Properties.ContainerDefinitions as {
    Name: string;
    Environment: { Name: string; Value: unknown }[];
  }[];
  const container = containers.find((definition) => definition.Name === IMPORT_CONTAINER_NAME)!;
  const local: Record<string, string> = { IMPORT_BUCKET: BUCKET, USERS_TABLE_NAME: usersTable, CHECKPOINTS_TABLE_NAME: checkpointsTable };
  // Not in the task definition (deployed jobs use the default): the tests' chunk size.
  const testSettings = { [IMPORT_CHUNK_SIZE_VARIABLE]: String(CHUNK) };
  const baseEnvironment = Object.fromEntries(
    container.Environment.map(({ Name, Value }) => {
      if (typeof Value === 'string') return [Name, Value];
      if (local[Name] === undefined) throw new Error(`The import container's ${Name} names a resource the test has no local stand-in for`);
      return [Name, local[Name]];
    }),
  );

  return async (input: Json): Promise<Json> => {
    const parameters = input as unknown as RunTaskParameters;
    expect(parameters.TaskDefinition).toContain('ImportJobTaskDefinition');
    const [override] = parameters.Overrides.ContainerOverrides;
    expect(override.Name).toBe(IMPORT_CONTAINER_NAME);
    const environment = {
      ...localAwsEnv({ dynamodb: dynamo.endpoint, s3: s3.endpoint }),
      ...baseEnvironment,
      ...testSettings,
      ...Object.fromEntries(override.Environment.map(({ Name, Value }) => [Name, Value])),
    };
    const { code } = await spawnWorker(workerBundle, ['import'], environment).exited;
    const task = {
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: IMPORT_CONTAINER_NAME, exitCode: code }],
    };
    if (code !== 0) throw Object.assign(new Error(JSON.stringify(task)), { name: 'States.TaskFailed' });
    return task;
  };
}

/** Sits in front of dynalite and fails chosen user PutItem calls as DynamoDB does when it throttles. */
async function startThrottlingProxy(target: string): Promise<string> {
  const targetUrl = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  proxy = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (
        request.headers['x-amz-target'] === 'DynamoDB_20120810.PutItem' &&
        (JSON.parse(body) as { TableName?: string }).TableName === usersTable
      ) {
        if (failBatchWrites.skip > 0) failBatchWrites.skip -= 1;
        else if (failBatchWrites.fail > 0) {
          failBatchWrites.fail -= 1;
          response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' }).end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            }),
          );
          return;
        }
      }
      // Kept-alive connections to dynalite (a Load makes thousands of requests); a request that
      // meets a connection the server has just closed is sent again on a new one.
      const send = (reuse: boolean) => {
        const forward = http.request(
          {
            host: targetUrl.hostname,
            port: targetUrl.port,
            path: request.url,
            method: request.method,
            headers: request.headers,
            agent: reuse ? agent : false,
          },
          (upstream) => {
            response.writeHead(upstream.statusCode ?? 500, upstream.headers);
            upstream.pipe(response);
          },
        );
        forward.on('error', (error) => (reuse ? send(false) : response.destroy(error)));
        forward.end(Buffer.concat(chunks));
      };
      send(true);
    });
  });
  // The handlers' client keeps up to 32 connections alive here, and retries nothing
  // (AWS_MAX_ATTEMPTS=1): a connection the server closes after Node's 5 s idle default can be
  // reused in the same instant and reset. Idle connections stay open for the whole file instead.
  proxy.keepAliveTimeout = 10 * 60_000;
  proxy.headersTimeout = proxy.keepAliveTimeout + 1_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // First: the bundle takes seconds to build, long enough for idle keep-alive sockets to the
  // engines to be closed under a client that may not retry (AWS_MAX_ATTEMPTS=1 below).
  workerBundle = await buildWorkerBundle();
  dynamo = await startLocalDynamo();
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  useLocalAws({ dynamodb: await startThrottlingProxy(dynamo.endpoint), s3: s3.endpoint });
  // The SDK's own retries would hide the throttling from the state machine's Retry, which is what is under test.
  process.env.AWS_MAX_ATTEMPTS = '1';
  [devStage] = addEnvironments(testApp(), [ENVIRONMENTS.dev]);
  // The tables exactly as the dev stage's stateful stack declares them.
  const statefulTemplate = templateOf(devStage.stateful).toJSON() as Parameters<typeof createTableFromTemplate>[1];
  usersTable = await createTableFromTemplate(dynamo.client, statefulTemplate, 'UsersTable');
  activityTable = await createTableFromTemplate(dynamo.client, statefulTemplate, 'ActivityTable');
  importsTable = await createTableFromTemplate(dynamo.client, statefulTemplate, 'ImportsTable');
  checkpointsTable = await createTableFromTemplate(dynamo.client, statefulTemplate, 'ImportCheckpointsTable');
  Object.assign(process.env, {
    USERS_TABLE_NAME: usersTable,
    ACTIVITY_TABLE_NAME: activityTable,
    IMPORTS_TABLE_NAME: importsTable,
    CHECKPOINTS_TABLE_NAME: checkpointsTable,
    UPLOADS_BUCKET_NAME: BUCKET,
    LARGE_IMPORT_THRESHOLD_BYTES: String(ENVIRONMENTS.dev.imports.largeImportThresholdBytes),
    IMPORT_RECORD_RETENTION_DAYS: '7',
    [IMPORT_CHUNK_SIZE_VARIABLE]: String(CHUNK),
  });
  machine = importStateMachine(devStage.jobs, () => lambdaContext('import-task', 300_000), {
    [IMPORT_STATES.runJob]: localImportJob(devStage),
  });
  const small = { ...ENVIRONMENTS.dev, imports: { ...ENVIRONMENTS.dev.imports, largeImportThresholdBytes: FARGATE_THRESHOLD } };
  const [smallStage] = addEnvironments(testApp(), [small]);
  fargateMachine = importStateMachine(smallStage.jobs, () => lambdaContext('import-task', 300_000), {
    [IMPORT_STATES.runJob]: localImportJob(smallStage),
  });
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await s3.stop();
  await dynamo.stop();
});

beforeEach(() => {
  failBatchWrites = { skip: 0, fail: 0 };
});

interface RunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
  readonly retried: string[];
  readonly visited: string[];
}

const localStateMachines = new Map<string, StateMachine>();

/**
 * The local engine's state machine for a definition, made once per definition text: making one
 * validates the definition against the Amazon States Language schemas (asl-validator compiles them
 * anew each time, about 0.2 s of CPU), and one validation per definition is all the check needs.
 * Runs take their task handlers from `on`, so machines with the same definition share it.
 */
function localStateMachine(on: ReturnType<typeof importStateMachine>): StateMachine {
  const text = JSON.stringify(on.definition);
  let stateMachine = localStateMachines.get(text);
  if (stateMachine === undefined) {
    stateMachine = new StateMachine(on.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
    localStateMachines.set(text, stateMachine);
  }
  return stateMachine;
}

/** Uploads `body` under imports/ and runs the synthesized state machine on it, locally, to the end. */
async function runImport(
  fileName: string,
  body: string | Buffer,
  on = machine,
  submittedAt = '2026-11-20T10:00:00.000Z',
): Promise<RunResult & { input: ImportExecutionInput }> {
  const key = `imports/${fileName}`;
  const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const input: ImportExecutionInput = {
    importId: importIdFor(key, put.ETag ?? fileName),
    bucket: BUCKET,
    key,
    submittedAt,
  };
  const stateMachine = localStateMachine(on);
  const taskStates = Object.keys(on.taskHandlers);
  const execution = stateMachine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: on.taskHandlers as never,
      retryIntervalOverrides: Object.fromEntries(taskStates.map((name) => [name, 0])),
    },
  });
  const retried: string[] = [];
  const visited: string[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateRetried') retried.push(event.state.name);
      if (event.type === 'StateEntered') visited.push(event.state.name);
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { input, status: 'SUCCEEDED', output, retried, visited };
  } catch (error) {
    await collecting;
    if (!(error instanceof ExecutionError)) throw error;
    const failure = error.cause as Error;
    return { input, status: 'FAILED', error: failure.name, cause: failure.message, retried, visited };
  }
}

async function importItem(id: string) {
  const result = await dynamo.client.send(new GetItemCommand({ TableName: importsTable, Key: { id: { S: id } } }));
  return result.Item;
}

async function usersOfImport(importId: string): Promise<Record<string, { S?: string; N?: string }>[]> {
  const items: Record<string, { S?: string; N?: string }>[] = [];
  let startKey: Record<string, never> | undefined;
  do {
    const page = await dynamo.client.send(
      new ScanCommand({
        TableName: usersTable,
        FilterExpression: 'importId = :id',
        ExpressionAttributeValues: { ':id': { S: importId } },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as typeof items));
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey !== undefined);
  return items;
}

async function counter(name: string): Promise<number> {
  const result = await dynamo.client.send(
    new GetItemCommand({ TableName: activityTable, Key: { pk: { S: `DAY#${activityDay(new Date())}` } } }),
  );
  return Number(result.Item?.[name]?.N ?? 0);
}

function jsonLines(count: number, domain: string): string {
  return (
    Array.from({ length: count }, (_, index) => JSON.stringify({ name: `User ${index}`, email: `user${index}@${domain}` })).join('\n') +
    '\n'
  );
}

async function objectText(key: string): Promise<string> {
  const result = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return result.Body!.transformToString();
}

describe('the synthesized import state machine, run locally', () => {
  it('imports a clean file of more than one chunk and records the outcome', async () => {
    // Two chunks: as many records as it takes to cross a chunk boundary.
    const total = CHUNK + 50;
    const succeededBefore = await counter('importsSucceeded');
    const createdBefore = await counter('usersCreated');

    const run = await runImport('clean.jsonl', jsonLines(total, 'clean.example'));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual([
      IMPORT_STATES.validate,
      IMPORT_STATES.isTooLarge,
      IMPORT_STATES.transform,
      IMPORT_STATES.load,
      IMPORT_STATES.isLoadDone,
      IMPORT_STATES.recordSuccess,
      IMPORT_STATES.succeeded,
    ]);
    const users = await usersOfImport(run.input.importId);
    expect(users).toHaveLength(total);
    const sample = users.find((user) => user.email?.S === 'user42@clean.example');
    expect(sample).toMatchObject({
      id: { S: userIdForEmail('user42@clean.example') },
      name: { S: 'User 42' },
      createdAt: { S: '2026-11-20T10:00:00.000Z' },
    });
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({
      status: { S: 'SUCCEEDED' },
      validRecords: { N: String(total) },
      invalidRecords: { N: '0' },
      loaded: { N: String(total) },
      duplicates: { N: '0' },
    });
    expect(await counter('importsSucceeded')).toBe(succeededBefore + 1);
    expect(await counter('usersCreated')).toBe(createdBefore + total);
    const keys = importRunKeys(run.input.importId);
    const chunkLines = async (index: number) => (await objectText(keys.normalisedChunk(index))).trim().split('\n').length;
    expect([await chunkLines(0), await chunkLines(1)]).toEqual([CHUNK, total - CHUNK]);
  });

  it('imports the valid rows of a CSV and reports each invalid line with its reason', async () => {
    const csv = [
      'email,name,phone',
      'ada@csv.example,"Lovelace, Ada",+447700900123',
      'not-an-email,Bob,',
      'carol@csv.example,"Carol ""CJ""\nJones",',
      'dan@csv.example,,',
      'erin@csv.example,Erin,+44 7700',
      'frank@csv.example,Frank',
    ].join('\n');

    const run = await runImport('people.csv', csv);

    expect(run.status).toBe('SUCCEEDED');
    const users = await usersOfImport(run.input.importId);
    expect(users.map((user) => user.name?.S).sort()).toEqual(['Carol "CJ" Jones', 'Lovelace, Ada']);
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({ validRecords: { N: '2' }, invalidRecords: { N: '4' }, loaded: { N: '2' } });
    const report = (await objectText(`import-runs/${run.input.importId}/invalid.jsonl`))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; reason: string });
    expect(report).toEqual([
      { line: 3, reason: expect.stringContaining('email') },
      { line: 6, reason: expect.stringContaining('name') },
      { line: 7, reason: expect.stringContaining('phone') },
      { line: 8, reason: 'has 2 fields; the header names 3' },
    ]);
  });

  it('fails an unparseable file with ImportFileUnreadableError and records the failure', async () => {
    const failedBefore = await counter('importsFailed');

    const run = await runImport('broken.jsonl', 'this is not json\nnor is this\n');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ImportFileUnreadableError');
    expect(run.visited).toEqual([IMPORT_STATES.validate, IMPORT_STATES.recordFailure, IMPORT_STATES.failed]);
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({ status: { S: 'FAILED' }, error: { S: 'ImportFileUnreadableError' } });
    expect(item?.errorMessage?.S).toContain('not JSON Lines');
    expect(await counter('importsFailed')).toBe(failedBefore + 1);
  });

  it('fails a file with no valid record with NoValidRecordsError', async () => {
    const run = await runImport('all-invalid.jsonl', '{"name":"","email":"x@invalid.example"}\n{"email":"nobody"}\n');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NoValidRecordsError');
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({ status: { S: 'FAILED' }, error: { S: 'NoValidRecordsError' } });
    expect(item?.errorMessage?.S).toContain('line 1');
  });

  it('retries Load after DynamoDB throttles it, without duplicating or miscounting users', async () => {
    // The first 25 users land, the next write is throttled: the retried Load meets its own users.
    failBatchWrites = { skip: 25, fail: 1 };

    const run = await runImport('throttled.jsonl', jsonLines(120, 'throttled.example'));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual([IMPORT_STATES.load]);
    expect(await usersOfImport(run.input.importId)).toHaveLength(120);
    expect(await importItem(run.input.importId)).toMatchObject({ loaded: { N: '120' }, duplicates: { N: '0' } });
  });

  it('reports emails that already exist or repeat in the file as duplicates, and leaves existing users unchanged', async () => {
    const existingId = userIdForEmail('taken@dup.example');
    await dynamo.client.send(
      new PutItemCommand({
        TableName: usersTable,
        Item: {
          id: { S: existingId },
          name: { S: 'Original' },
          email: { S: 'taken@dup.example' },
          createdAt: { S: '2025-01-01T00:00:00.000Z' },
        },
      }),
    );
    const body = [
      { name: 'New', email: 'new@dup.example' },
      { name: 'Impostor', email: 'TAKEN@dup.example' },
      { name: 'Again', email: 'new@DUP.example' },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n');

    const run = await runImport('duplicates.jsonl', body);

    expect(run.status).toBe('SUCCEEDED');
    expect((await usersOfImport(run.input.importId)).map((user) => user.email?.S)).toEqual(['new@dup.example']);
    const existing = await dynamo.client.send(new GetItemCommand({ TableName: usersTable, Key: { id: { S: existingId } } }));
    expect(existing.Item?.name).toEqual({ S: 'Original' });
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({ loaded: { N: '1' }, duplicates: { N: '2' } });
    expect(item?.duplicateSample?.L?.map((entry) => entry.M?.line?.N)).toEqual(['2', '3']);
  });

  describe('above the size threshold', () => {
    let largeMachine: ReturnType<typeof importStateMachine>;

    beforeAll(() => {
      largeMachine = fargateMachine;
      process.env.LARGE_IMPORT_THRESHOLD_BYTES = String(FARGATE_THRESHOLD);
    });

    afterAll(() => {
      process.env.LARGE_IMPORT_THRESHOLD_BYTES = String(ENVIRONMENTS.dev.imports.largeImportThresholdBytes);
    });

    it('runs the file as the Fargate import job and records its counts from the checkpoint', async () => {
      const succeededBefore = await counter('importsSucceeded');
      const createdBefore = await counter('usersCreated');
      await dynamo.client.send(
        new PutItemCommand({
          TableName: usersTable,
          Item: {
            id: { S: userIdForEmail('taken@big.example') },
            name: { S: 'Original' },
            email: { S: 'taken@big.example' },
            createdAt: { S: '2025-01-01T00:00:00.000Z' },
          },
        }),
      );
      const body =
        jsonLines(50, 'big.example') +
        [
          '{"name":"","email":"nope"}',
          '{"name":"Impostor","email":"taken@big.example"}',
          '{"name":"Again","email":"user7@big.example"}',
        ].join('\n');

      const run = await runImport('big.jsonl', body, largeMachine);

      expect(run.status).toBe('SUCCEEDED');
      expect(run.visited).toEqual([
        IMPORT_STATES.validate,
        IMPORT_STATES.isTooLarge,
        IMPORT_STATES.runJob,
        IMPORT_STATES.recordJobSuccess,
        IMPORT_STATES.succeeded,
      ]);
      const users = await usersOfImport(run.input.importId);
      expect(users).toHaveLength(50);
      expect(users.find((user) => user.email?.S === 'user7@big.example')).toMatchObject({
        name: { S: 'User 7' },
        createdAt: { S: run.input.submittedAt },
      });
      const item = await importItem(run.input.importId);
      expect(item).toMatchObject({
        status: { S: 'SUCCEEDED' },
        validRecords: { N: '52' },
        invalidRecords: { N: '1' },
        loaded: { N: '50' },
        duplicates: { N: '2' },
      });
      expect(item?.invalidSample?.L?.map((entry) => entry.M?.line?.N)).toEqual(['51']);
      expect(item?.invalidSample?.L?.[0].M?.reason?.S).toContain('email');
      expect(item?.duplicateSample?.L?.map((entry) => [entry.M?.line?.N, entry.M?.reason?.S])).toEqual([
        ['52', 'a user with the email taken@big.example already exists'],
        ['53', 'the email user7@big.example is already on line 8 of this file'],
      ]);
      expect(await counter('importsSucceeded')).toBe(succeededBefore + 1);
      expect(await counter('usersCreated')).toBe(createdBefore + 50);
    });

    it("ends in the failure path with States.TaskFailed when the job fails, recording the job's own error", async () => {
      const failedBefore = await counter('importsFailed');

      const run = await runImport(
        'big-broken.csv',
        'fullname,mail\nAda Lovelace,ada@broken.example\nGrace Hopper,grace@broken.example\n',
        largeMachine,
      );

      // With the cause, so a failure for another reason says which.
      expect({ status: run.status, error: run.error, cause: run.cause }).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
      // A failed run is retried once (a Spot interruption fails a run the same way), then recorded.
      expect(run.retried).toEqual([IMPORT_STATES.runJob]);
      expect(run.visited).toEqual([
        IMPORT_STATES.validate,
        IMPORT_STATES.isTooLarge,
        IMPORT_STATES.runJob,
        IMPORT_STATES.recordFailure,
        IMPORT_STATES.failed,
      ]);
      const item = await importItem(run.input.importId);
      expect(item).toMatchObject({ status: { S: 'FAILED' }, error: { S: 'States.TaskFailed' } });
      expect(item?.errorMessage?.S).toMatch(/^ImportFileUnreadableError: The CSV header must name the columns/);
      expect(await usersOfImport(run.input.importId)).toHaveLength(0);
      expect(await counter('importsFailed')).toBe(failedBefore + 1);
    });
  });
});

describe.each([
  ['the Lambda path', 'lambda'],
  ['the Fargate path', 'fargate'],
] as const)('on %s, through the one import engine', (_name, path) => {
  const on = () => (path === 'lambda' ? machine : fargateMachine);

  beforeAll(() => {
    process.env.LARGE_IMPORT_THRESHOLD_BYTES = String(
      path === 'lambda' ? ENVIRONMENTS.dev.imports.largeImportThresholdBytes : FARGATE_THRESHOLD,
    );
  });

  afterAll(() => {
    process.env.LARGE_IMPORT_THRESHOLD_BYTES = String(ENVIRONMENTS.dev.imports.largeImportThresholdBytes);
  });

  /** How a failed import reads in GET /imports/{id}: its error and message together. */
  async function failureOf(importId: string): Promise<string> {
    const item = await importItem(importId);
    expect(item?.status).toEqual({ S: 'FAILED' });
    return `${item?.error?.S}: ${item?.errorMessage?.S}`;
  }

  it('reports an over-long CSV row invalid and loads the other rows', async () => {
    const domain = `${path}.long.example`;
    const body = `name,email\nA,a@${domain}\n${'x'.repeat(70_000)},b@${domain}\nC,c@${domain}\n`;

    const run = await runImport(`long-row-${path}.csv`, body, on());

    expect(run.status).toBe('SUCCEEDED');
    expect((await usersOfImport(run.input.importId)).map((user) => user.email?.S).sort()).toEqual([`a@${domain}`, `c@${domain}`]);
    const item = await importItem(run.input.importId);
    expect(item).toMatchObject({ validRecords: { N: '2' }, invalidRecords: { N: '1' }, loaded: { N: '2' } });
    expect(item?.invalidSample?.L?.map((entry) => [entry.M?.line?.N, entry.M?.reason?.S])).toEqual([
      ['3', 'record is longer than 65536 characters'],
    ]);
  });

  it.each([
    [
      'a Latin-1 CSV',
      'latin1.csv',
      Buffer.from(`name,email\nJos\u00e9 ${'Garc\u00eda '.repeat(10)},jose@latin1.example\n`, 'latin1'),
      /ImportFileUnreadableError.*not valid UTF-8/,
    ],
    [
      'a gzip CSV',
      'gzipped.csv',
      gzipSync(
        Buffer.from(
          `name,email\n${Array.from({ length: 20 }, (_, index) => `Person ${index * 7919},p${index * 104729}@gzip.example\n`).join('')}`,
        ),
      ),
      /ImportFileUnreadableError.*gzip-compressed/,
    ],
  ])('fails %s with ImportFileUnreadableError and the reason', async (_kind, fileName, body, reason) => {
    const run = await runImport(`${path}-${fileName}`, body, on());

    expect(run.status).toBe('FAILED');
    expect(await failureOf(run.input.importId)).toMatch(reason);
    expect(await usersOfImport(run.input.importId)).toHaveLength(0);
  });

  it('fails a file with no valid record with NoValidRecordsError', async () => {
    const body = `name,email\n${Array.from({ length: 5 }, (_, index) => `Person ${index},not-an-email-${index}`).join('\n')}\n`;

    const run = await runImport(`all-invalid-${path}.csv`, body, on());

    expect(run.status).toBe('FAILED');
    expect(await failureOf(run.input.importId)).toMatch(/NoValidRecordsError.*None of the 5 records is valid \(line 2: email/);
  });

  it('creates each user once when two imports of the same file overlap, stamped and counted by the import that created it', async () => {
    // Across a chunk boundary: the imports overlap in both chunks.
    const total = CHUNK + 50;
    const domain = `${path}.overlap.example`;
    const body = ['name,email', ...Array.from({ length: total }, (_, index) => `User ${index},user${index}@${domain}`)].join('\n') + '\n';
    const createdBefore = await counter('usersCreated');

    const runs = await Promise.all([
      runImport(`overlap-a-${path}.csv`, body, on(), '2026-11-20T10:00:00.000Z'),
      runImport(`overlap-b-${path}.csv`, body, on(), '2026-11-20T10:00:01.000Z'),
    ]);

    expect(runs.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    let loadedTotal = 0;
    for (const run of runs) {
      const stamped = await usersOfImport(run.input.importId);
      const item = await importItem(run.input.importId);
      const loaded = Number(item?.loaded?.N);
      // What an import counts as loaded is exactly what carries its stamp, with its createdAt.
      expect(stamped).toHaveLength(loaded);
      expect(new Set(stamped.map((user) => user.createdAt?.S))).toEqual(new Set(loaded === 0 ? [] : [run.input.submittedAt]));
      expect(loaded + Number(item?.duplicates?.N)).toBe(total);
      loadedTotal += loaded;
    }
    expect(loadedTotal).toBe(total);
    expect(await counter('usersCreated')).toBe(createdBefore + total);
  });
});

describe('Load on the Lambda path', () => {
  it('stops at its time budget with its checkpoint written, and the state machine runs it again until done', async () => {
    // Every invocation starts with just the reserve left: each Load loads one chunk and continues.
    const hurried = importStateMachine(devStage.jobs, () => lambdaContext('import-task', LOAD_TIME_RESERVE_MS + 1), {
      [IMPORT_STATES.runJob]: localImportJob(devStage),
    });
    // Two chunks, so two Loads.
    const total = CHUNK + 50;
    const createdBefore = await counter('usersCreated');

    const run = await runImport('budget.jsonl', jsonLines(total, 'budget.example'), hurried);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited.filter((state) => state === IMPORT_STATES.load)).toHaveLength(2);
    expect(await usersOfImport(run.input.importId)).toHaveLength(total);
    expect(await importItem(run.input.importId)).toMatchObject({
      validRecords: { N: String(total) },
      loaded: { N: String(total) },
      duplicates: { N: '0' },
    });
    expect(await counter('usersCreated')).toBe(createdBefore + total);
  });

  it('creates each user once when POST /users and an import create the same emails at once', async () => {
    const total = 300;
    const email = (index: number) => `person${index}@race.example`;
    const body = Array.from({ length: total }, (_, index) => JSON.stringify({ name: `Imported ${index}`, email: email(index) })).join('\n');
    const createdBefore = await counter('usersCreated');
    const responses: APIGatewayProxyResult[] = [];

    const [run] = await Promise.all([
      runImport('race.jsonl', body),
      forEachLimited(
        Array.from({ length: total }, (_, index) => index).filter((index) => index % 2 === 0),
        8,
        async (index) => {
          const event = apiEvent({
            method: 'POST',
            resource: '/users',
            body: JSON.stringify({ name: `Posted ${index}`, email: email(index) }),
          });
          responses.push((await createUser(event, lambdaContext('create-user'))) as APIGatewayProxyResult);
        },
      ),
    ]);

    expect(run.status).toBe('SUCCEEDED');
    const posted = responses.filter((response) => response.statusCode === 201);
    expect(posted.length + responses.filter((response) => response.statusCode === 409).length).toBe(responses.length);
    const loaded = Number((await importItem(run.input.importId))?.loaded?.N);
    expect(loaded + posted.length).toBe(total);
    expect(await usersOfImport(run.input.importId)).toHaveLength(loaded);
    // A user POST created is never overwritten by the import.
    for (const response of posted) {
      const user = JSON.parse(response.body) as { id: string; name: string };
      const stored = await dynamo.client.send(new GetItemCommand({ TableName: usersTable, Key: { id: { S: user.id } } }));
      expect(stored.Item?.name).toEqual({ S: user.name });
      expect(stored.Item?.importId).toBeUndefined();
    }
    expect(await counter('usersCreated')).toBe(createdBefore + total);
  });

  it('answers one POST /users 201 and the others 409 when the same email is posted at once', async () => {
    const createdBefore = await counter('usersCreated');
    const post = () =>
      createUser(
        apiEvent({ method: 'POST', resource: '/users', body: JSON.stringify({ name: 'Same Person', email: 'same@race.example' }) }),
        lambdaContext('create-user'),
      );

    const responses = (await Promise.all(Array.from({ length: 12 }, post))) as APIGatewayProxyResult[];

    expect(responses.map((response) => response.statusCode).sort()).toEqual([201, ...Array(11).fill(409)]);
    expect(await counter('usersCreated')).toBe(createdBefore + 1);
  });
});

describe('the records per chunk (IMPORT_CHUNK_SIZE, set by these tests only)', () => {
  /** Runs `body` with IMPORT_CHUNK_SIZE set to `value` (unset when undefined), then restores the tests' setting. */
  async function withChunkSize<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
    if (value === undefined) delete process.env[IMPORT_CHUNK_SIZE_VARIABLE];
    else process.env[IMPORT_CHUNK_SIZE_VARIABLE] = value;
    try {
      return await body();
    } finally {
      process.env[IMPORT_CHUNK_SIZE_VARIABLE] = String(CHUNK);
    }
  }

  it('is set by no function or container of the synthesized app, so deployed imports use the default', () => {
    type Resource = {
      Properties?: {
        Environment?: { Variables?: Record<string, unknown> };
        ContainerDefinitions?: { Environment?: { Name: string }[] }[];
      };
    };
    const settings = stacksOf(devStage).flatMap((stack) => {
      const template = templateOf(stack);
      const functions = Object.values(template.findResources('AWS::Lambda::Function') as Record<string, Resource>);
      const tasks = Object.values(template.findResources('AWS::ECS::TaskDefinition') as Record<string, Resource>);
      return [
        ...functions.flatMap((fn) => Object.keys(fn.Properties?.Environment?.Variables ?? {})),
        ...tasks.flatMap((task) => (task.Properties?.ContainerDefinitions ?? []).flatMap((c) => (c.Environment ?? []).map((e) => e.Name))),
      ];
    });
    // The scan sees what the app does set: Validate's threshold, the import container's tables.
    expect(settings).toEqual(expect.arrayContaining(['LARGE_IMPORT_THRESHOLD_BYTES', 'CHECKPOINTS_TABLE_NAME']));
    expect(settings).not.toContain(IMPORT_CHUNK_SIZE_VARIABLE);
  });

  it('cuts a file into chunks of IMPORT_CHUNK_RECORDS when it is not set', async () => {
    const key = 'imports/default-chunks.jsonl';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: jsonLines(IMPORT_CHUNK_RECORDS + 1, 'default.example') }));
    const input: ImportExecutionInput = { importId: 'default-chunks', bucket: BUCKET, key, submittedAt: '2026-11-20T10:00:00.000Z' };

    const result = await withChunkSize(undefined, () => validate(input, lambdaContext('import-validate')));

    expect(result).toMatchObject({ validRecords: IMPORT_CHUNK_RECORDS + 1, chunkCount: 2 });
    const firstChunk = await objectText(importRunKeys(input.importId).validChunk(0));
    expect(firstChunk.trim().split('\n')).toHaveLength(IMPORT_CHUNK_RECORDS);
  });

  it('fails Validate and Load loudly, naming the variable, when it is not a positive whole number', async () => {
    const input: ImportExecutionInput = {
      importId: 'bad-chunks',
      bucket: BUCKET,
      key: 'imports/bad-chunks.jsonl',
      submittedAt: '2026-11-20T10:00:00.000Z',
    };
    const loadInput = { ...input, transform: { chunkCount: 0, records: 0 } };

    for (const value of ['0', 'a thousand']) {
      await withChunkSize(value, async () => {
        await expect(validate(input, lambdaContext('import-validate'))).rejects.toThrow(
          /IMPORT_CHUNK_SIZE must be a whole number of at least 1/,
        );
        await expect(load(loadInput, lambdaContext('import-load'))).rejects.toThrow(
          /IMPORT_CHUNK_SIZE must be a whole number of at least 1/,
        );
      });
    }
  });
});
