import { GetItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { handler } from '../../lambda/handlers/process-upload';
import { logger } from '../../lambda/shared/logger';
import { lambdaContext } from '../support/events';
import { gifImage, jpegImage, pngImage } from '../support/images';
import { useLocalAws } from '../support/local-aws-env';
import { startLocalDynamo, type LocalDynamo } from '../support/local-dynamodb';
import { startLocalS3, type LocalS3 } from '../support/local-s3';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy';
import { createActivityTable } from '../support/stateful-tables';
import { createTableFromTemplate } from '../support/local-dynamodb';
import { statefulStackTemplate } from '../support/stateful-tables';
import { s3Event, s3TestEvent, sqsEvent, sqsRecordFromSns, sqsRecordWithBody } from '../support/upload-events';

const BUCKET = 'uploads-bucket';
/** The one key whose reads the S3 endpoint the handler uses never answers. */
const STALLED_KEY = 'incoming/stalled.txt';

let dynamo: LocalDynamo;
let s3: LocalS3;
let proxy: StallingProxy;
let filesTable: string;
let activityTable: string;

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startLocalDynamo(), startLocalS3([BUCKET])]);
  // The handler reaches S3 through a server that passes every request on, except those for one key,
  // which it holds without an answer (a hung S3 read).
  proxy = await startStallingProxy({ target: s3.endpoint, stalls: (path) => path.includes(STALLED_KEY) });
  useLocalAws({ dynamodb: dynamo.endpoint, s3: proxy.endpoint });
  filesTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'FilesTable');
  activityTable = await createActivityTable(dynamo);
  process.env.FILES_TABLE_NAME = filesTable;
  process.env.ACTIVITY_TABLE_NAME = activityTable;
});

afterAll(async () => {
  await proxy.stop();
  await Promise.all([dynamo.stop(), s3.stop()]);
});

afterEach(() => {
  jest.restoreAllMocks();
});

let versionCounter = 0;

interface Uploaded {
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  readonly versionId: string;
}

/** Uploads an object; the version ID stands in for the one a versioned bucket would assign (s3rver has no versioning). */
async function upload(key: string, body: Buffer | string, contentType: string): Promise<Uploaded> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const result = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes, ContentType: contentType }));
  versionCounter += 1;
  return { key, size: bytes.length, eTag: (result.ETag ?? '').replace(/"/g, ''), versionId: `version-${versionCounter}` };
}

/** The SQS record AWS delivers for an upload: SQS wrapping SNS wrapping the S3 event. */
function deliveryOf(object: Uploaded, options: { messageId?: string } = {}): SQSRecord {
  return sqsRecordFromSns(s3Event({ bucket: BUCKET, ...object }), options);
}

function poison(body: string): SQSRecord {
  return sqsRecordWithBody(body);
}

async function run(records: SQSRecord[]): Promise<SQSBatchResponse> {
  // A new context per invocation, as Lambda gives: its remaining time counts from now.
  return handler(sqsEvent(records), lambdaContext('process-upload'));
}

async function fileRecord(key: string, versionId: string) {
  const result = await dynamo.client.send(
    new GetItemCommand({ TableName: filesTable, Key: { objectId: { S: `${BUCKET}/${key}` }, versionId: { S: versionId } } }),
  );
  return result.Item ? unmarshall(result.Item) : undefined;
}

async function recordsOf(key: string) {
  const result = await dynamo.client.send(
    new QueryCommand({
      TableName: filesTable,
      KeyConditionExpression: 'objectId = :id',
      ExpressionAttributeValues: { ':id': { S: `${BUCKET}/${key}` } },
    }),
  );
  return (result.Items ?? []).map((item) => unmarshall(item));
}

async function counter(name: 'filesProcessed' | 'filesFailed'): Promise<number> {
  const day = new Date().toISOString().slice(0, 10);
  const result = await dynamo.client.send(new GetItemCommand({ TableName: activityTable, Key: { pk: { S: `DAY#${day}` } } }));
  return Number(result.Item?.[name]?.N ?? 0);
}

describe('process-upload', () => {
  it('records a PNG with its metadata and pixel dimensions', async () => {
    const png = await upload('incoming/photo.png', pngImage(64, 48), 'image/png');
    const before = Date.now();

    const response = await run([deliveryOf(png)]);

    expect(response).toEqual({ batchItemFailures: [] });
    const item = await fileRecord(png.key, png.versionId);
    expect(item).toEqual({
      objectId: `${BUCKET}/incoming/photo.png`,
      versionId: png.versionId,
      bucket: BUCKET,
      key: 'incoming/photo.png',
      status: 'stored',
      size: png.size,
      contentType: 'image/png',
      eTag: png.eTag,
      uploadedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      processedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      imageFormat: 'png',
      width: 64,
      height: 48,
    });
    expect(Date.parse(item?.processedAt as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('records a JPEG whose frame header lies past a large EXIF segment', async () => {
    const jpeg = await upload('incoming/camera.jpg', jpegImage(4032, 3024, { exifBytes: 40_000, trailingBytes: 500_000 }), 'image/jpeg');

    await run([deliveryOf(jpeg)]);

    expect(await fileRecord(jpeg.key, jpeg.versionId)).toMatchObject({ imageFormat: 'jpeg', width: 4032, height: 3024, size: jpeg.size });
  });

  it('records a GIF with its dimensions', async () => {
    const gif = await upload('incoming/anim.gif', gifImage(300, 150), 'image/gif');

    await run([deliveryOf(gif)]);

    expect(await fileRecord(gif.key, gif.versionId)).toMatchObject({ imageFormat: 'gif', width: 300, height: 150 });
  });

  it('records a text file without dimensions', async () => {
    const text = await upload('incoming/notes.txt', 'Meeting notes: nothing to see here', 'text/plain');

    await run([deliveryOf(text)]);

    const item = await fileRecord(text.key, text.versionId);
    expect(item).toMatchObject({ status: 'stored', contentType: 'text/plain', size: text.size, eTag: text.eTag });
    expect(item).not.toHaveProperty('width');
    expect(item).not.toHaveProperty('imageFormat');
  });

  it('records an empty file', async () => {
    const empty = await upload('incoming/empty.bin', '', 'application/octet-stream');

    const response = await run([deliveryOf(empty)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await fileRecord(empty.key, empty.versionId)).toMatchObject({ status: 'stored', size: 0 });
  });

  it.each([
    ['spaces', 'incoming/holiday photo 2024.png'],
    ['plus signs', 'incoming/a+b=c.png'],
    ['non-ASCII characters', 'incoming/café/写真 ☕.png'],
    ['characters S3 percent-encodes', "incoming/report (final) 100% 'v2'.png"],
  ])('decodes keys with %s and records the object under its real key', async (_case, key) => {
    const object = await upload(key, pngImage(2, 3), 'image/png');

    const response = await run([deliveryOf(object)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await fileRecord(key, object.versionId)).toMatchObject({ key, width: 2, height: 3 });
  });

  it('records an event without a version ID under the null version', async () => {
    const object = await upload('incoming/unversioned.txt', 'plain', 'text/plain');
    const { versionId: _none, ...unversioned } = object;

    await run([sqsRecordFromSns(s3Event({ bucket: BUCKET, ...unversioned }))]);

    expect(await fileRecord(object.key, 'null')).toMatchObject({ status: 'stored', size: 5 });
  });

  it('leaves exactly one unchanged record, counted once, when the same version is delivered twice', async () => {
    const png = await upload('incoming/twice.png', pngImage(10, 10), 'image/png');
    const processedBefore = await counter('filesProcessed');
    await run([deliveryOf(png)]);
    const first = await fileRecord(png.key, png.versionId);

    // S3 emitted the event twice: a second SNS message, a second SQS message, in another batch.
    const response = await run([deliveryOf(png)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await recordsOf(png.key)).toEqual([first]);
    expect(await counter('filesProcessed')).toBe(processedBefore + 1);
  });

  it('records one file when the same version arrives twice in one batch', async () => {
    const text = await upload('incoming/same-batch.txt', 'once', 'text/plain');
    const processedBefore = await counter('filesProcessed');

    const response = await run([deliveryOf(text), deliveryOf(text)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await recordsOf(text.key)).toHaveLength(1);
    expect(await counter('filesProcessed')).toBe(processedBefore + 1);
  });

  it('reports only the poison record of a batch, and records its batch-mates', async () => {
    const good = await Promise.all([1, 2, 3, 4].map((n) => upload(`incoming/mate-${n}.txt`, `file ${n}`, 'text/plain')));
    const bad = poison('this is not JSON');

    const response = await run([deliveryOf(good[0]), deliveryOf(good[1]), bad, deliveryOf(good[2]), deliveryOf(good[3])]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    for (const object of good) {
      expect(await fileRecord(object.key, object.versionId)).toMatchObject({ status: 'stored' });
    }
  });

  it.each([
    ['a body that is not an SNS notification', () => poison(JSON.stringify({ hello: 'world' }))],
    ['an SNS notification whose message is not an S3 event', () => sqsRecordFromSns({ message: 'hello world', username: 'lessa' })],
    ['an SNS notification whose message is not JSON', () => sqsRecordFromSns('hello world')],
  ])('reports %s as a failed record, with a log line naming the problem', async (_case, makeRecord) => {
    const errors = jest.spyOn(logger, 'error');
    const record = makeRecord();

    const response = await run([record]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(errors).toHaveBeenCalledWith(
      'Record is not an S3 event notification; it will end in the dead-letter queue',
      expect.objectContaining({ messageId: record.messageId, problem: expect.any(String) }),
    );
  });

  it('records an object deleted before processing as missing, acknowledges it and counts it as failed', async () => {
    const gone = await upload('incoming/gone.png', pngImage(5, 5), 'image/png');
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: gone.key }));
    const failedBefore = await counter('filesFailed');

    const response = await run([deliveryOf(gone)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await fileRecord(gone.key, gone.versionId)).toMatchObject({ status: 'missing', size: gone.size, eTag: gone.eTag });
    expect(await counter('filesFailed')).toBe(failedBefore + 1);
  });

  it('fails only the record whose object read stalls, before the function times out', async () => {
    const first = await upload('incoming/first-of-three.txt', 'first', 'text/plain');
    const stalled = await upload(STALLED_KEY, 'never read', 'text/plain');
    const third = await upload('incoming/third-of-three.txt', 'third', 'text/plain');
    const records = [deliveryOf(first), deliveryOf(stalled), deliveryOf(third)];
    const remainingMs = 3_500;
    const started = Date.now();

    const response = await handler(sqsEvent(records), lambdaContext('process-upload', remainingMs));

    expect(Date.now() - started).toBeLessThan(remainingMs);
    expect(proxy.stalled.some((request) => request.includes(STALLED_KEY))).toBe(true);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1].messageId }] });
    expect(await fileRecord(first.key, first.versionId)).toMatchObject({ status: 'stored' });
    expect(await fileRecord(third.key, third.versionId)).toMatchObject({ status: 'stored' });
    expect(await fileRecord(stalled.key, stalled.versionId)).toBeUndefined();
  }, 15_000);

  it('acknowledges and ignores the S3 test event', async () => {
    const before = await dynamo.client.send(new ScanCommand({ TableName: filesTable, Select: 'COUNT' }));

    const response = await run([sqsRecordFromSns(s3TestEvent(BUCKET))]);

    expect(response.batchItemFailures).toEqual([]);
    const after = await dynamo.client.send(new ScanCommand({ TableName: filesTable, Select: 'COUNT' }));
    expect(after.Count).toBe(before.Count);
  });

  it('acknowledges and ignores objects outside incoming/', async () => {
    const csv = await upload('imports/users.csv', 'name,email\n', 'text/csv');

    const response = await run([deliveryOf(csv)]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await recordsOf(csv.key)).toEqual([]);
  });

  it('accepts a raw-delivery body (the S3 event without the SNS envelope)', async () => {
    const text = await upload('incoming/raw.txt', 'raw', 'text/plain');

    const response = await run([sqsRecordWithBody(JSON.stringify(s3Event({ bucket: BUCKET, ...text })))]);

    expect(response.batchItemFailures).toEqual([]);
    expect(await fileRecord(text.key, text.versionId)).toMatchObject({ status: 'stored' });
  });

  it('reports a record whose object cannot be read for another reason, so SQS retries it', async () => {
    const record = sqsRecordFromSns(s3Event({ bucket: 'no-such-bucket-here', key: 'incoming/x.txt', size: 1, versionId: 'v' }));

    const response = await run([record]);

    // NoSuchBucket is not "the object was deleted": it is retried, and ends in the DLQ if it persists.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it('logs the message ID and object key of a recorded file, and none of its content', async () => {
    const info = jest.spyOn(logger, 'info');
    const text = await upload('incoming/secret.txt', 'TOP-SECRET-CONTENT', 'text/plain');
    const record = deliveryOf(text);

    await run([record]);

    expect(info).toHaveBeenCalledWith(
      'File recorded',
      expect.objectContaining({ messageId: record.messageId, key: text.key, bucket: BUCKET }),
    );
    expect(JSON.stringify(info.mock.calls)).not.toContain('TOP-SECRET-CONTENT');
  });

  it('records every good object exactly once and reports every poison record, over hundreds of records', async () => {
    const objects = await Promise.all(
      Array.from({ length: 150 }, (_, n) =>
        n % 3 === 0
          ? upload(`incoming/bulk/${n}.png`, pngImage(1 + (n % 7), 1 + (n % 5)), 'image/png')
          : upload(`incoming/bulk/${n} ü.txt`, `file ${n}`, 'text/plain'),
      ),
    );
    const processedBefore = await counter('filesProcessed');
    // Every object delivered once, 30 of them a second time, and 20 poison records (200 deliveries),
    // shuffled into batches of 10.
    const poisons = Array.from({ length: 20 }, (_, n) =>
      poison(n % 2 === 0 ? `garbage ${n}` : JSON.stringify({ Type: 'Notification', Message: '{}' })),
    );
    const deliveries = [
      ...objects.map((object) => deliveryOf(object)),
      ...objects.slice(0, 30).map((object) => deliveryOf(object)),
      ...poisons,
    ];
    const shuffled = deliveries
      .map((record, index) => ({ record, order: (index * 7919) % deliveries.length }))
      .sort((a, b) => a.order - b.order)
      .map(({ record }) => record);

    const failures: string[] = [];
    for (let start = 0; start < shuffled.length; start += 10) {
      const response = await run(shuffled.slice(start, start + 10));
      failures.push(...response.batchItemFailures.map((failure) => failure.itemIdentifier));
    }

    expect(failures.sort()).toEqual(poisons.map((record) => record.messageId).sort());
    const scan = await dynamo.client.send(
      new ScanCommand({
        TableName: filesTable,
        FilterExpression: 'begins_with(#key, :prefix)',
        ExpressionAttributeNames: { '#key': 'key' },
        ExpressionAttributeValues: { ':prefix': { S: 'incoming/bulk/' } },
      }),
    );
    const recorded = (scan.Items ?? []).map((item) => unmarshall(item));
    expect(recorded).toHaveLength(objects.length);
    expect(new Set(recorded.map((item) => `${item.key}#${item.versionId}`))).toEqual(
      new Set(objects.map((object) => `${object.key}#${object.versionId}`)),
    );
    expect(recorded.filter((item) => item.imageFormat === 'png')).toHaveLength(50);
    expect(await counter('filesProcessed')).toBe(processedBefore + objects.length);
  });
});
