import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { importIdFor } from '../../lambda/domain/import-job';
import { devAssembly, eventually, startLocalCloud, type RunningCloud } from './support/local-cloud';

/**
 * The dev environment as `npm start` runs it, driven only through what it exposes to a developer:
 * the REST API, the load balancer, the schedule control, and the one AWS endpoint (with the
 * developer's key) for S3 uploads, queues and, where the product has no read API for it, a look
 * at a table.
 */
let cloud: RunningCloud;
let s3: S3Client;
let sqs: SQSClient;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  // Queue visibility timeouts × 0.01 so a poison message reaches its DLQ in seconds.
  cloud = await startLocalCloud(devAssembly(), ['--visibility-scale', '0.01']);
  const { gatewayUrl, region, credentials } = cloud.endpoints;
  s3 = new S3Client({ endpoint: cloud.endpoints.s3Endpoint, region, credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  sqs = new SQSClient({ endpoint: gatewayUrl, region, credentials });
  dynamo = new DynamoDBClient({ endpoint: gatewayUrl, region, credentials });
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  dynamo?.destroy();
  await cloud?.stop();
});

const api = (path: string, init?: RequestInit) => fetch(`${cloud.endpoints.apiUrl}${path}`, init);
const json = { 'content-type': 'application/json' };
const uploadsBucket = () => cloud.endpoints.uploadsBucket as string;
const named = (record: Record<string, string>, suffix: string) => {
  const entry = Object.entries(record).find(([name]) => name.endsWith(suffix));
  if (entry === undefined) throw new Error(`nothing named *${suffix} in ${Object.keys(record).join(', ')}`);
  return entry[1];
};

async function pollImport(id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const response = await api(`/imports/${id}`);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as Record<string, unknown>;
      return body.status === 'SUCCEEDED' || body.status === 'FAILED' ? body : undefined;
    },
    timeoutMs,
    `import ${id} to finish`,
  );
}

test('creates, lists, gets and deletes a user over HTTP', async () => {
  const created = await api('/users', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada.e2e@example.com' }) });
  expect(created.status).toBe(201);
  const user = (await created.json()) as { id: string; email: string };
  expect(created.headers.get('location')).toBe(`/v1/users/${user.id}`);

  const listed = (await (await api('/users?limit=100')).json()) as { users: Array<{ id: string }> };
  expect(listed.users.map((entry) => entry.id)).toContain(user.id);
  const fetched = await api(`/users/${user.id}`);
  expect(fetched.status).toBe(200);
  expect(await fetched.json()).toMatchObject({ id: user.id, email: 'ada.e2e@example.com' });

  expect((await api(`/users/${user.id}`, { method: 'DELETE' })).status).toBe(204);
  expect((await api(`/users/${user.id}`)).status).toBe(404);
});

test('refuses a structurally invalid body at the gateway and an unknown route with the JSON gateway responses', async () => {
  const refused = await api('/users', { method: 'POST', headers: json, body: JSON.stringify({ name: 42 }) });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toMatchObject({ error: 'BadRequest', message: 'Invalid request body' });
  const unknown = await api('/no/such/route');
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ error: 'NotFound' });
});

test('an image uploaded with the S3 client gets its file record', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d494844520000002000000018', 'hex'), Buffer.alloc(64)]);
  const key = 'incoming/e2e picture.png';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: png, ContentType: 'image/png' }));
  expect(put.VersionId).toBeDefined();
  const filesTable = named(cloud.endpoints.tables, 'FilesTable');
  const record = await eventually(async () => {
    const scan = await dynamo.send(new ScanCommand({ TableName: filesTable }));
    return scan.Items?.find((item) => item.key?.S === key && item.versionId?.S === put.VersionId);
  }, 20_000, 'the file record');
  expect(record.width?.N).toBe('32');
  expect(record.height?.N).toBe('24');
});

test('an imported CSV file is loaded: GET /imports/{id} reports SUCCEEDED with its counts', async () => {
  const key = 'imports/e2e-people.csv';
  const csv = 'name,email,phone\n"Lovelace, Ada",ada.import@example.com,+447700900123\nCharles Babbage,charles.import@example.com,\nNo Email,not-an-email,\n';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: csv, ContentType: 'text/csv' }));
  const outcome = await pollImport(importIdFor(key, put.VersionId as string));
  expect(outcome).toMatchObject({ status: 'SUCCEEDED', validRecords: 2, invalidRecords: 1, loaded: 2, duplicates: 0 });
  const listed = (await (await api('/users?limit=100')).json()) as { users: Array<{ email: string }> };
  expect(listed.users.map((user) => user.email)).toEqual(expect.arrayContaining(['ada.import@example.com', 'charles.import@example.com']));
});

test('a file over the Fargate threshold is imported by the worker container process', async () => {
  // Three records and blank lines (skipped by the reader) to pass the 20 MB threshold.
  const records = ['{"name":"Big One","email":"big.one@example.com"}', '{"name":"Big Two","email":"big.two@example.com"}', '{"name":"Big Three","email":"big.three@example.com"}'];
  const padding = `${' '.repeat(60_000)}\n`.repeat(360);
  const key = 'imports/e2e-large.jsonl';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: `${records.join('\n')}\n${padding}` }));
  const outcome = await pollImport(importIdFor(key, put.VersionId as string), 45_000);
  expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
  expect(cloud.output()).toMatch(/ecs {6}states \S+\.RunImportJob → ImportJobTaskDefinition\w*\/Worker exited 0/);
  const listed = (await (await api('/users?limit=100')).json()) as { users: Array<{ email: string }> };
  expect(listed.users.map((user) => user.email)).toEqual(expect.arrayContaining(['big.one@example.com', 'big.three@example.com']));
}, 60_000);

test('the export service behind the load balancer streams the users as CSV', async () => {
  await api('/users', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Exported', email: 'exported@example.com' }) });
  const response = await eventually(async () => {
    const attempt = await fetch(`${cloud.endpoints.exportUrl}/exports/users.csv`);
    return attempt.status === 200 ? attempt : undefined;
  }, 15_000, 'the export service');
  expect(response.headers.get('content-type')).toMatch(/text\/csv/);
  expect(await response.text()).toMatch(/exported@example\.com/);
});

test('invoking the daily report schedule writes the report object', async () => {
  // As docs/local.md tells a developer: any unique part of the schedule's name.
  const fired = cloud.invokeSchedule('DailyReport');
  expect(fired.stdout).toMatch(/^fired/);
  const report = await eventually(async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: uploadsBucket(), Prefix: 'reports/daily/' }));
    return listed.Contents?.[0]?.Key;
  }, 20_000, 'the daily report');
  const body = await (await s3.send(new GetObjectCommand({ Bucket: uploadsBucket(), Key: report }))).Body?.transformToString();
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  expect(report).toBe(`reports/daily/${yesterday}.json`);
  expect(JSON.parse(body as string)).toMatchObject({ day: yesterday, usersCreated: expect.any(Number) });
});

test('a poison message on the files queue ends in its dead-letter queue', async () => {
  const body = `not an S3 event ${Date.now()}`;
  await sqs.send(new SendMessageCommand({ QueueUrl: named(cloud.endpoints.queues, 'Uploads/FilesQueue'), MessageBody: body }));
  const dead = await eventually(async () => {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: named(cloud.endpoints.queues, 'Uploads/FilesDeadLetterQueue'), WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    return received.Messages?.find((message) => message.Body === body);
  }, 30_000, 'the message in the DLQ');
  expect(dead.Body).toBe(body);
}, 45_000);
