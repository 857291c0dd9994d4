import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { importIdFor } from '../../lambda/domain/import-job';
import { ENVIRONMENTS } from '../../lib/config';
import { accessToken, devAssembly, eventually, localS3Client, scopeNamed, startLocalCloud, type RunningCloud } from './support/local-cloud';

/**
 * The dev environment as `npm start` runs it, driven only through what it exposes to a developer:
 * the REST API and the load balancer with access tokens from the local token endpoint (client
 * credentials, as a caller gets them), the schedule control, and the one AWS endpoint (with the
 * developer's key) for S3 uploads, queues and, where the product has no read API for it, a look
 * at a table.
 */
let cloud: RunningCloud;
let s3: S3Client;
let sqs: SQSClient;
let dynamo: DynamoDBClient;
/** Bearer tokens by scope name (users.read, users.write, imports.read, exports.read). */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  // Queue visibility timeouts × 0.005 (the runner's floor is 1 s) so a poison message reaches its DLQ
  // after its maxReceiveCount receives in seconds.
  cloud = await startLocalCloud(devAssembly(), ['--visibility-scale', '0.005']);
  const { gatewayUrl, region, credentials } = cloud.endpoints;
  s3 = localS3Client(cloud.endpoints);
  sqs = new SQSClient({ endpoint: gatewayUrl, region, credentials });
  dynamo = new DynamoDBClient({ endpoint: gatewayUrl, region, credentials });
  for (const name of ['users.read', 'users.write', 'imports.read', 'exports.read'])
    tokens[name] = await accessToken(cloud.endpoints, scopeNamed(cloud.endpoints, name));
}, 240_000);

afterAll(async () => {
  s3?.destroy();
  sqs?.destroy();
  dynamo?.destroy();
  await cloud?.stop();
});

/** A call to the REST API with a token carrying the scope `scope` (none for `undefined`). */
const api = (path: string, scope: string | undefined, init: RequestInit = {}) =>
  fetch(`${cloud.endpoints.apiUrl}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(scope === undefined ? {} : { authorization: `Bearer ${tokens[scope]}` }) },
  });
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
      const response = await api(`/imports/${id}`, 'imports.read');
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as Record<string, unknown>;
      return body.status === 'SUCCEEDED' || body.status === 'FAILED' ? body : undefined;
    },
    timeoutMs,
    `import ${id} to finish`,
  );
}

test('creates, lists, gets, changes and deletes a user over HTTP', async () => {
  const created = await api('/users', 'users.write', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada.e2e@example.com' }),
  });
  expect(created.status).toBe(201);
  const user = (await created.json()) as { id: string; email: string };
  expect(created.headers.get('location')).toBe(`/v1/users/${user.id}`);

  const listed = (await (await api('/users?limit=100', 'users.read')).json()) as { users: Array<{ id: string }> };
  expect(listed.users.map((entry) => entry.id)).toContain(user.id);
  const fetched = await api(`/users/${user.id}`, 'users.read');
  expect(fetched.status).toBe(200);
  expect(await fetched.json()).toMatchObject({ id: user.id, email: 'ada.e2e@example.com' });

  const patch = (body: unknown, scope = 'users.write') =>
    api(`/users/${user.id}`, scope, { method: 'PATCH', headers: json, body: JSON.stringify(body) });
  const changed = await patch({ phone: '+447700900123' });
  expect(changed.status).toBe(200);
  expect(await changed.json()).toMatchObject({ id: user.id, name: 'Ada Lovelace', phone: '+447700900123', updatedAt: expect.any(String) });
  // Refused by the gateway's model (a number for the name) and by the handler (the email), both as JSON 400s.
  for (const refused of [await patch({ name: 42 }), await patch({ email: 'other@example.com' })]) {
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'BadRequest' });
  }
  expect((await patch({ name: 'Read Only' }, 'users.read')).status).toBe(403);
  expect(await (await api(`/users/${user.id}`, 'users.read')).json()).toMatchObject({ name: 'Ada Lovelace', phone: '+447700900123' });

  expect((await api(`/users/${user.id}`, 'users.write', { method: 'DELETE' })).status).toBe(204);
  expect((await api(`/users/${user.id}`, 'users.read')).status).toBe(404);
});

test('a request without a token is refused by the authorizer with 401 and the Bearer challenge', async () => {
  const refused = await api('/users', undefined);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
  const garbage = await api('/users', undefined, { headers: { authorization: 'Bearer not-a-jwt' } });
  expect(garbage.status).toBe(401);
});

test('a real token without the method scope is refused with 403 (export reader on the users API)', async () => {
  const refused = await api('/users', 'exports.read');
  expect(refused.status).toBe(403);
  expect(refused.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
  // A token with users.read alone may not write.
  const write = await api('/users', 'users.read', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: 'Nope', email: 'nope@example.com' }),
  });
  expect(write.status).toBe(403);
});

test('refuses a structurally invalid body at the gateway and an unknown route with the JSON gateway responses', async () => {
  const refused = await api('/users', 'users.write', { method: 'POST', headers: json, body: JSON.stringify({ name: 42 }) });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toMatchObject({ error: 'BadRequest', message: 'Invalid request body' });
  const unknown = await api('/no/such/route', undefined);
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ error: 'NotFound' });
});

test('an image uploaded with the S3 client gets its file record', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d494844520000002000000018', 'hex'), Buffer.alloc(64)]);
  const key = 'incoming/e2e picture.png';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: png, ContentType: 'image/png' }));
  expect(put.VersionId).toBeDefined();
  const filesTable = named(cloud.endpoints.tables, 'FilesTable');
  const record = await eventually(
    async () => {
      const scan = await dynamo.send(new ScanCommand({ TableName: filesTable }));
      return scan.Items?.find((item) => item.key?.S === key && item.versionId?.S === put.VersionId);
    },
    20_000,
    'the file record',
  );
  expect(record.width?.N).toBe('32');
  expect(record.height?.N).toBe('24');
});

test('an imported CSV file is loaded: GET /imports/{id} reports SUCCEEDED with its counts', async () => {
  const key = 'imports/e2e-people.csv';
  const csv =
    'name,email,phone\n"Lovelace, Ada",ada.import@example.com,+447700900123\nCharles Babbage,charles.import@example.com,\nNo Email,not-an-email,\n';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: csv, ContentType: 'text/csv' }));
  const outcome = await pollImport(importIdFor(key, put.VersionId as string));
  expect(outcome).toMatchObject({ status: 'SUCCEEDED', validRecords: 2, invalidRecords: 1, loaded: 2, duplicates: 0 });
  const listed = (await (await api('/users?limit=100', 'users.read')).json()) as { users: Array<{ email: string }> };
  expect(listed.users.map((user) => user.email)).toEqual(expect.arrayContaining(['ada.import@example.com', 'charles.import@example.com']));
});

test('a file over the Fargate threshold is imported by the worker container process', async () => {
  // Three records and blank lines (skipped by the reader) to pass the environment's threshold.
  const threshold = ENVIRONMENTS.dev.imports.largeImportThresholdBytes;
  const records = [
    '{"name":"Big One","email":"big.one@example.com"}',
    '{"name":"Big Two","email":"big.two@example.com"}',
    '{"name":"Big Three","email":"big.three@example.com"}',
  ];
  const padding = `${' '.repeat(60_000)}\n`.repeat(Math.ceil(threshold / 60_001) + 1);
  expect(Buffer.byteLength(padding)).toBeGreaterThan(threshold);
  const key = 'imports/e2e-large.jsonl';
  const put = await s3.send(new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: `${records.join('\n')}\n${padding}` }));
  const outcome = await pollImport(importIdFor(key, put.VersionId as string), 45_000);
  expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
  expect(cloud.output()).toMatch(/ecs {6}states \S+\.RunImportJob → ImportJobTaskDefinition\w*\/Worker exited 0/);
  const listed = (await (await api('/users?limit=100', 'users.read')).json()) as { users: Array<{ email: string }> };
  expect(listed.users.map((user) => user.email)).toEqual(expect.arrayContaining(['big.one@example.com', 'big.three@example.com']));
}, 60_000);

test('the export service behind the load balancer streams the users as CSV to the export reader token only', async () => {
  expect(
    (
      await api('/users', 'users.write', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'Exported', email: 'exported@example.com' }),
      })
    ).status,
  ).toBe(201);
  const exportUrl = `${cloud.endpoints.exportUrl}/exports/users.csv`;
  const response = await eventually(
    async () => {
      const attempt = await fetch(exportUrl, { headers: { authorization: `Bearer ${tokens['exports.read']}` } });
      return attempt.status === 200 ? attempt : undefined;
    },
    15_000,
    'the export service',
  );
  expect(response.headers.get('content-type')).toMatch(/text\/csv/);
  expect(await response.text()).toMatch(/exported@example\.com/);
  // The service checks the token itself (issuer and keys of the local identity provider).
  expect((await fetch(exportUrl)).status).toBe(401);
  expect((await fetch(exportUrl, { headers: { authorization: `Bearer ${tokens['users.read']}` } })).status).toBe(401);
});

test('invoking the daily report schedule writes the report object', async () => {
  // As docs/local.md tells a developer: any unique part of the schedule's name.
  const fired = cloud.invokeSchedule('DailyReport');
  expect(fired.stdout).toMatch(/^fired/);
  const report = await eventually(
    async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: uploadsBucket(), Prefix: 'reports/daily/' }));
      return listed.Contents?.[0]?.Key;
    },
    20_000,
    'the daily report',
  );
  const body = await (await s3.send(new GetObjectCommand({ Bucket: uploadsBucket(), Key: report }))).Body?.transformToString();
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  expect(report).toBe(`reports/daily/${yesterday}.json`);
  expect(JSON.parse(body as string)).toMatchObject({ day: yesterday, usersCreated: expect.any(Number) });
});

test('a poison message on the files queue ends in its dead-letter queue', async () => {
  const body = `not an S3 event ${Date.now()}`;
  await sqs.send(new SendMessageCommand({ QueueUrl: named(cloud.endpoints.queues, 'Uploads/FilesQueue'), MessageBody: body }));
  const dead = await eventually(
    async () => {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: named(cloud.endpoints.queues, 'Uploads/FilesDeadLetterQueue'),
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      return received.Messages?.find((message) => message.Body === body);
    },
    30_000,
    'the message in the DLQ',
  );
  expect(dead.Body).toBe(body);
}, 45_000);

test('an import with no valid record ends FAILED with its reason (the failure branch runs under its grants)', async () => {
  const key = 'imports/e2e-nothing-valid.csv';
  const put = await s3.send(
    new PutObjectCommand({ Bucket: uploadsBucket(), Key: key, Body: 'name,email\nNo Email,not-an-email\n', ContentType: 'text/csv' }),
  );
  const outcome = await pollImport(importIdFor(key, put.VersionId as string));
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'NoValidRecordsError', errorMessage: expect.any(String) });
});

test('GET /hello is public: no token needed', async () => {
  expect((await api('/hello', undefined)).status).toBe(200);
});

test('the weekly cleanup schedule runs its function to success (its grants suffice)', async () => {
  expect(cloud.invokeSchedule('WeeklyCleanup').stdout).toMatch(/^fired/);
  const line = await eventually(
    async () => /lambda {3}schedule \S*WeeklyCleanup\S* \(on demand\)[^\n]*: (\S+)/.exec(cloud.output())?.[1],
    20_000,
    'the cleanup function to finish',
  );
  expect(line).toBe('ok');
});

// Last, so it sees every flow above: the whole run went through the real IAM gateway, policy
// evaluator and identity provider, and not one call of the app was denied.
test('every path above ran under the real local IAM and identity provider, and nothing was denied', () => {
  const output = cloud.output();
  expect(output).toMatch(/════ local cloud: dev/);
  // The authorizer's 401/403 above are on purpose; any IAM refusal (gateway, service delivery,
  // state machine task, schedule target) would be an app path that fails once deployed.
  const refusals = output.split('\n').filter((line) => /\[local-iam\]|!!! DENIED|AccessDenied|not authorized/i.test(line));
  expect(refusals).toEqual([]);
});
