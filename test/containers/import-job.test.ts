import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { userIdForEmail } from '../../lambda/domain/user-id';
import { createTableFromTemplate, startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { localAwsEnv } from '../support/local-aws-env';
import { startLocalS3, type LocalS3 } from '../support/local-s3';
import { statefulStackTemplate } from '../support/stateful-tables';
import { buildWorkerBundle, logsWithMessage, spawnWorker } from '../support/worker-process';
import { EXIT_STOPPED } from '../../containers/worker/src/worker';

jest.setTimeout(180_000);

const BUCKET = 'imports-test';
let bundle: string;
let dynamo: LocalDynamo;
let s3: LocalS3;

beforeAll(async () => {
  [bundle, dynamo, s3] = await Promise.all([buildWorkerBundle(), startLocalDynamo(), startLocalS3([BUCKET])]);
});

afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
});

interface Tables {
  readonly users: string;
  readonly checkpoints: string;
}

async function freshTables(): Promise<Tables> {
  const template = statefulStackTemplate();
  return {
    users: await createTableFromTemplate(dynamo.client, template, 'UsersTable'),
    checkpoints: await createTableFromTemplate(dynamo.client, template, 'ImportCheckpointsTable'),
  };
}

function importEnv(tables: Tables, key: string, importId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...localAwsEnv({ dynamodb: dynamo.endpoint, s3: s3.endpoint }),
    POWERTOOLS_LOG_LEVEL: 'INFO',
    IMPORT_BUCKET: BUCKET,
    IMPORT_KEY: key,
    IMPORT_ID: importId,
    USERS_TABLE_NAME: tables.users,
    CHECKPOINTS_TABLE_NAME: tables.checkpoints,
    ...extra,
  };
}

async function upload(key: string, body: string): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

function email(i: number): string {
  return `user.${i}@example.com`;
}

function jsonLines(count: number): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ name: `User ${i}`, email: email(i) })).join('\n');
}

function csv(count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `"User, ${i}",${email(i)},${i % 2 === 0 ? '+447700900123' : ''}`);
  return ['name,email,phone', ...rows].join('\r\n');
}

/** Every item of the users table: id → email. */
async function storedUsers(table: string): Promise<Map<string, Record<string, string>>> {
  const users = new Map<string, Record<string, string>>();
  let startKey: Record<string, never> | undefined;
  let items = 0;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      items += 1;
      users.set(item.id.S as string, Object.fromEntries(Object.entries(item).map(([name, value]) => [name, value.S ?? value.N ?? ''])));
    }
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  expect(items).toBe(users.size);
  return users;
}

async function checkpoint(tables: Tables, importId: string): Promise<Record<string, string> | undefined> {
  const result = await dynamo.client.send(
    new GetItemCommand({ TableName: tables.checkpoints, Key: { importId: { S: importId } }, ConsistentRead: true }),
  );
  return result.Item ? Object.fromEntries(Object.entries(result.Item).map(([name, value]) => [name, value.S ?? value.N ?? ''])) : undefined;
}

function expectEveryUserOnce(users: Map<string, Record<string, string>>, count: number): void {
  expect(users.size).toBe(count);
  for (let i = 0; i < count; i += 1) expect(users.get(userIdForEmail(email(i)))?.email).toBe(email(i));
}

it('loads a multi-chunk import completely and exits 0', async () => {
  const tables = await freshTables();
  // Two chunks of 100 records (IMPORT_CHUNK_SIZE; deployed jobs use the default 1,000): enough to
  // cross a chunk boundary.
  const total = 150;
  await upload('imports/large.jsonl', jsonLines(total));

  const worker = spawnWorker(bundle, ['import'], importEnv(tables, 'imports/large.jsonl', 'large', { IMPORT_CHUNK_SIZE: '100' }));
  const { code } = await worker.exited;

  expect(code).toBe(0);
  expectEveryUserOnce(await storedUsers(tables.users), total);
  expect(await checkpoint(tables, 'large')).toMatchObject({
    status: 'SUCCEEDED',
    lastLine: String(total),
    loaded: String(total),
    existing: '0',
    invalid: '0',
  });
});

it('resumes an import killed halfway and ends with every record loaded exactly once', async () => {
  const tables = await freshTables();
  // Small chunks and few writes in flight, so the kill lands mid-import after several checkpoints
  // (at 200 of 600 records: four checkpoints written, eight chunks still to go).
  const total = 600;
  await upload('imports/killed.csv', csv(total));
  const env = importEnv(tables, 'imports/killed.csv', 'killed', { IMPORT_CHUNK_SIZE: '50', IMPORT_CONCURRENCY: '4' });

  const first = spawnWorker(bundle, ['import'], env);
  let progressAtKill = 0;
  while (progressAtKill < 200) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    progressAtKill = Number((await checkpoint(tables, 'killed'))?.lastLine ?? 0);
  }
  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  const afterKill = await checkpoint(tables, 'killed');
  expect(afterKill?.status).toBe('RUNNING');
  expect((await storedUsers(tables.users)).size).toBeLessThan(total);

  const second = spawnWorker(bundle, ['import'], env);
  const { code } = await second.exited;

  expect(code).toBe(0);
  const resumed = logsWithMessage(second.lines, 'Resuming import')[0];
  expect(Number(resumed?.afterLine)).toBeGreaterThanOrEqual(Number(afterKill?.lastLine));
  const users = await storedUsers(tables.users);
  expectEveryUserOnce(users, total);
  expect(users.get(userIdForEmail(email(0)))).toMatchObject({ name: 'User, 0', phone: '+447700900123' });
  expect(await checkpoint(tables, 'killed')).toMatchObject({
    status: 'SUCCEEDED',
    lastLine: String(total + 1),
    loaded: String(total),
    existing: '0',
    duplicates: '0',
    invalid: '0',
  });
});

it('reports existing emails, duplicates and invalid records without overwriting anyone', async () => {
  const tables = await freshTables();
  const existingId = userIdForEmail('ada@example.com');
  await dynamo.client.send(
    new PutItemCommand({
      TableName: tables.users,
      Item: {
        id: { S: existingId },
        name: { S: 'Ada Lovelace' },
        email: { S: 'ada@example.com' },
        createdAt: { S: '2020-01-01T00:00:00.000Z' },
      },
    }),
  );
  const lines = [
    JSON.stringify({ name: 'Ada Impostor', email: 'ADA@example.com' }),
    JSON.stringify({ name: '  Grace   Hopper ', email: 'Grace@Example.com', phone: '+447700900124' }),
    '',
    JSON.stringify({ name: 'Grace Again', email: 'grace@example.com' }),
    '{not json',
    JSON.stringify({ name: '', email: 'not-an-email' }),
  ];
  await upload('imports/mixed.jsonl', lines.join('\n'));

  const worker = spawnWorker(bundle, ['import'], importEnv(tables, 'imports/mixed.jsonl', 'mixed'));
  const { code } = await worker.exited;

  expect(code).toBe(0);
  const users = await storedUsers(tables.users);
  expect(users.size).toBe(2);
  expect(users.get(existingId)).toMatchObject({ name: 'Ada Lovelace', createdAt: '2020-01-01T00:00:00.000Z' });
  expect(users.get(userIdForEmail('grace@example.com'))).toMatchObject({
    name: 'Grace Hopper',
    email: 'grace@example.com',
    phone: '+447700900124',
  });
  const saved = await checkpoint(tables, 'mixed');
  expect(saved).toMatchObject({ status: 'SUCCEEDED', loaded: '1', existing: '1', duplicates: '1', invalid: '2' });
  expect(JSON.parse(saved?.problems ?? '[]')).toEqual([
    { line: 4, kind: 'duplicate', reason: 'the email grace@example.com is already on line 2 of this file' },
    { line: 5, kind: 'invalid', reason: 'not valid JSON' },
    { line: 6, kind: 'invalid', reason: expect.stringMatching(/email.*name|name.*email/) },
    { line: 1, kind: 'existing', reason: 'a user with the email ada@example.com already exists' },
  ]);
});

it('does nothing when an import that already succeeded runs again', async () => {
  const tables = await freshTables();
  await upload('imports/twice.jsonl', jsonLines(30));
  const env = importEnv(tables, 'imports/twice.jsonl', 'twice');
  expect((await spawnWorker(bundle, ['import'], env).exited).code).toBe(0);

  const again = spawnWorker(bundle, ['import'], env);
  expect((await again.exited).code).toBe(0);

  expect(logsWithMessage(again.lines, 'Import had already succeeded')).toHaveLength(1);
  expect(await checkpoint(tables, 'twice')).toMatchObject({ status: 'SUCCEEDED', loaded: '30', existing: '0' });
});

it('gives every user it creates the submission time as createdAt, as the Lambda path does', async () => {
  const tables = await freshTables();
  await upload('imports/stamped.jsonl', jsonLines(3));

  const env = importEnv(tables, 'imports/stamped.jsonl', 'stamped', { IMPORT_SUBMITTED_AT: '2026-11-20T10:00:00.000Z' });
  expect((await spawnWorker(bundle, ['import'], env).exited).code).toBe(0);

  const users = await storedUsers(tables.users);
  expect([...users.values()].map((user) => user.createdAt)).toEqual(Array(3).fill('2026-11-20T10:00:00.000Z'));
});

it('exits non-zero and marks the import failed when the file does not exist', async () => {
  const tables = await freshTables();

  const worker = spawnWorker(bundle, ['import'], importEnv(tables, 'imports/missing.jsonl', 'missing'));
  const { code } = await worker.exited;

  expect(code).toBe(1);
  expect(await checkpoint(tables, 'missing')).toMatchObject({ status: 'FAILED', failure: expect.stringContaining('NoSuchKey') });
});

it('exits non-zero when a CSV file lacks the required columns', async () => {
  const tables = await freshTables();
  await upload('imports/bad-header.csv', 'fullname,mail\nAda,ada@example.com\n');

  const { code } = await spawnWorker(bundle, ['import'], importEnv(tables, 'imports/bad-header.csv', 'bad-header')).exited;

  expect(code).toBe(1);
  expect(await checkpoint(tables, 'bad-header')).toMatchObject({
    status: 'FAILED',
    failure: expect.stringMatching(/^ImportFileUnreadableError: .*missing name, email/),
  });
  expect((await storedUsers(tables.users)).size).toBe(0);
});

it('stops cleanly on SIGTERM with its checkpoint written, and a new attempt completes with exact counts', async () => {
  const tables = await freshTables();
  // Stopped after three checkpoints of 25 records, with seventeen chunks still to go.
  const total = 500;
  await upload('imports/stopped.csv', csv(total));
  const env = importEnv(tables, 'imports/stopped.csv', 'stopped', { IMPORT_CHUNK_SIZE: '25', IMPORT_CONCURRENCY: '4' });

  const first = spawnWorker(bundle, ['import'], env);
  while (Number((await checkpoint(tables, 'stopped'))?.lastLine ?? 0) < 75) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  first.child.kill('SIGTERM');
  const stopped = await first.exited;

  expect(stopped).toEqual({ code: EXIT_STOPPED, signal: null });
  // Nothing on stderr but the SDK's Node version notice: no uncaught error, no stack.
  expect(first.lines.filter((line) => !line.startsWith('{')).join('\n')).not.toMatch(/Error|^\s+at /m);
  const afterStop = await checkpoint(tables, 'stopped');
  expect(afterStop).toMatchObject({
    status: 'FAILED',
    failure: expect.stringMatching(/^ImportStoppedError: stopped after line \d+ \(Error: received SIGTERM\)$/),
  });
  const stoppedAt = Number(afterStop?.lastLine);
  expect(stoppedAt).toBeLessThan(total + 1);
  // Every line up to the checkpoint is loaded.
  const usersAtStop = await storedUsers(tables.users);
  for (let i = 0; i < stoppedAt - 1; i += 1) expect(usersAtStop.has(userIdForEmail(email(i)))).toBe(true);

  const second = spawnWorker(bundle, ['import'], env);
  expect((await second.exited).code).toBe(0);

  expect(Number(logsWithMessage(second.lines, 'Resuming import')[0]?.afterLine)).toBe(stoppedAt);
  expectEveryUserOnce(await storedUsers(tables.users), total);
  expect(await checkpoint(tables, 'stopped')).toMatchObject({
    status: 'SUCCEEDED',
    lastLine: String(total + 1),
    loaded: String(total),
    existing: '0',
    duplicates: '0',
    invalid: '0',
  });
});
