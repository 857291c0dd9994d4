import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CreatedObject } from '../../lambda/domain/upload-events';
import { ObjectsStore } from '../../lambda/store/objects-store';
import { LOCAL_CREDENTIALS } from '../support/local-aws-env';
import { startVersionedS3, type VersionedS3 } from '../support/versioned-s3';

const BUCKET = 'uploads-bucket';

let s3: VersionedS3;
let client: S3Client;
let store: ObjectsStore;

beforeAll(async () => {
  s3 = await startVersionedS3([BUCKET]);
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'eu-west-1',
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  store = new ObjectsStore(client);
});

afterAll(async () => {
  client.destroy();
  await s3.stop();
});

/** Puts an object and returns what its ObjectCreated event would say about it. */
async function put(key: string, body: string): Promise<CreatedObject> {
  const result = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/plain' }));
  return {
    bucket: BUCKET,
    key,
    versionId: result.VersionId ?? 'null',
    versioned: true,
    size: body.length,
    eTag: result.ETag,
    eventName: 'ObjectCreated:Put',
    eventTime: new Date().toISOString(),
  };
}

async function deleteKey(key: string, versionId?: string): Promise<string | undefined> {
  const result = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: versionId }));
  return result.VersionId;
}

async function readText(object: CreatedObject): Promise<string | 'missing'> {
  const head = await store.readHead(object, 1024);
  return head.kind === 'missing' ? 'missing' : Buffer.from(head.head).toString();
}

describe('ObjectsStore in a versioned bucket', () => {
  it('reads the version the event names', async () => {
    const object = await put('incoming/current.txt', 'current');

    expect(await readText(object)).toBe('current');
  });

  it('reads the version the event names after the key was overwritten (it is noncurrent, not deleted)', async () => {
    const first = await put('incoming/overwritten.txt', 'first upload');
    await put('incoming/overwritten.txt', 'second upload');

    expect(await readText(first)).toBe('first upload');
  });

  it('finds an object deleted before processing missing, though its version is still readable behind the delete marker', async () => {
    const object = await put('incoming/deleted.txt', 'soon gone');
    await deleteKey(object.key);

    expect(await readText(object)).toBe('missing');
  });

  it('finds every version of a key deleted twice missing', async () => {
    const first = await put('incoming/deleted-twice.txt', 'one');
    await deleteKey(first.key);
    const second = await put('incoming/deleted-twice.txt', 'two');
    await deleteKey(second.key);

    expect(await readText(first)).toBe('missing');
    expect(await readText(second)).toBe('missing');
  });

  it('finds a version that is a delete marker missing (S3 answers 405 for it), though the key has a current object', async () => {
    const object = await put('incoming/marker.txt', 'marked');
    const markerId = await deleteKey(object.key);
    await put(object.key, 'uploaded again');

    expect(await readText({ ...object, versionId: markerId ?? '' })).toBe('missing');
  });

  it('finds a version deleted for good missing', async () => {
    const object = await put('incoming/purged.txt', 'purged');
    await deleteKey(object.key, object.versionId);

    expect(await readText(object)).toBe('missing');
  });

  it('reads an upload whose key was deleted and uploaded again (the key has a current object)', async () => {
    const first = await put('incoming/restored.txt', 'first');
    await deleteKey(first.key);
    await put('incoming/restored.txt', 'again');

    expect(await readText(first)).toBe('first');
  });

  it('reads an empty upload, and finds it missing once deleted', async () => {
    const object = await put('incoming/empty.txt', '');
    expect(await readText(object)).toBe('');

    await deleteKey(object.key);

    expect(await readText(object)).toBe('missing');
  });

  it('reads ranges of the version it found', async () => {
    const object = await put('incoming/ranges.txt', '0123456789');
    const head = await store.readHead(object, 4);
    if (head.kind !== 'found') throw new Error('expected the object to be found');

    expect(Buffer.from(head.head).toString()).toBe('0123');
    expect(head.size).toBe(10);
    expect(Buffer.from(await head.source.read(6, 4)).toString()).toBe('6789');
  });
});
