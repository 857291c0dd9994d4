import { recordCreatedObject, type FileRecord, type ObjectReader } from '../../lambda/domain/file-record';
import type { CreatedObject } from '../../lambda/domain/upload-events';

const object: CreatedObject = {
  bucket: 'uploads',
  key: 'incoming/notes.txt',
  versionId: 'v1',
  versioned: true,
  size: 12,
  eTag: '"abc"',
  eventTime: '2026-11-27T09:00:00.000Z',
  eventName: 'ObjectCreated:Put',
};
const gone: ObjectReader = { readHead: async () => ({ kind: 'missing' }) };
const now = () => new Date('2026-11-27T10:00:00.000Z');

function registry() {
  const written: FileRecord[] = [];
  return { written, recordOnce: async (record: FileRecord) => (written.push(record), true) };
}

describe('recordCreatedObject', () => {
  it('stamps the record with when the files table should expire it, from the retention days', async () => {
    const files = registry();

    await recordCreatedObject(object, { reader: gone, registry: files, now, retentionDays: 30 });

    expect(files.written[0].expiresAt).toBe(Date.parse('2026-11-27T10:00:00.000Z') / 1000 + 30 * 86_400);
  });

  it('keeps the record for ever when no retention is given', async () => {
    const files = registry();

    await recordCreatedObject(object, { reader: gone, registry: files, now });

    expect(files.written[0]).not.toHaveProperty('expiresAt');
    expect(files.written[0]).toMatchObject({ objectId: 'uploads/incoming/notes.txt', status: 'missing' });
  });
});
