import { decodeS3Key, InvalidMessageError, parseUploadMessage } from '../../lambda/domain/upload-events';
import { encodeS3EventKey, s3Event, s3TestEvent, sqsRecordFromSns } from '../support/upload-events';

describe('decodeS3Key', () => {
  it.each([
    ['incoming/my+photo.png', 'incoming/my photo.png'],
    ['incoming/a%2Bb.txt', 'incoming/a+b.txt'],
    ['incoming/caf%C3%A9+%E2%98%95.txt', 'incoming/café ☕.txt'],
    ['incoming/%E5%86%99%E7%9C%9F.jpg', 'incoming/写真.jpg'],
    ['incoming/100%25.txt', 'incoming/100%.txt'],
  ])('decodes %s as S3 encodes it in events', (encoded, key) => {
    expect(decodeS3Key(encoded)).toBe(key);
  });

  it('round-trips keys encoded the way S3 encodes them', () => {
    const key = "incoming/a b+c (1) 'x'*!~ é/ü/日本.png";
    expect(decodeS3Key(encodeS3EventKey(key))).toBe(key);
  });

  it('rejects a key that is not valid percent-encoding', () => {
    expect(() => decodeS3Key('incoming/%E2%28.txt')).toThrow(InvalidMessageError);
  });
});

describe('parseUploadMessage', () => {
  const created = { bucket: 'uploads', key: 'incoming/a b.png', size: 12, eTag: 'abc', versionId: 'v1' };

  it('reads an S3 event inside an SNS notification', () => {
    const body = sqsRecordFromSns(s3Event(created)).body;

    const message = parseUploadMessage(body);

    expect(message).toMatchObject({
      kind: 'records',
      snsMessageId: expect.any(String),
      records: [
        { kind: 'object-created', object: { bucket: 'uploads', key: 'incoming/a b.png', versionId: 'v1', versioned: true, size: 12 } },
      ],
    });
  });

  it('reads an S3 event delivered raw', () => {
    const message = parseUploadMessage(JSON.stringify(s3Event(created)));

    expect(message).toMatchObject({ kind: 'records', records: [{ kind: 'object-created', object: { key: 'incoming/a b.png' } }] });
  });

  it("uses S3's null version for an event without a version ID", () => {
    const { versionId: _omitted, ...unversioned } = created;
    const message = parseUploadMessage(JSON.stringify(s3Event(unversioned)));

    expect(message).toMatchObject({ records: [{ object: { versionId: 'null', versioned: false } }] });
  });

  it('recognises the S3 test event, wrapped or raw', () => {
    expect(parseUploadMessage(sqsRecordFromSns(s3TestEvent('uploads')).body)).toMatchObject({ kind: 'test-event' });
    expect(parseUploadMessage(JSON.stringify(s3TestEvent('uploads')))).toEqual({ kind: 'test-event' });
  });

  it('marks events other than object creation as other', () => {
    const message = parseUploadMessage(JSON.stringify(s3Event({ ...created, eventName: 'ObjectRemoved:Delete' })));

    expect(message).toMatchObject({ records: [{ kind: 'other', eventName: 'ObjectRemoved:Delete', key: 'incoming/a b.png' }] });
  });

  it.each([
    ['a body that is not JSON', 'hello', /not JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['an unrelated JSON object', '{"order": 42}', /neither an SNS notification nor an S3 event/],
    ['an SNS envelope without a Message', '{"Type":"Notification","MessageId":"m"}', /not an SNS notification/],
    ['an SNS message that is not JSON', JSON.stringify({ Type: 'Notification', Message: 'hello world' }), /SNS message is not JSON/],
    [
      'an SNS message that is not an S3 event',
      JSON.stringify({ Type: 'Notification', Message: '{"message":"hello world"}' }),
      /SNS message is not an S3 event/,
    ],
    ['an S3 event with no records', JSON.stringify({ Records: [] }), /not an S3 event/],
    [
      'an S3 record without a key',
      JSON.stringify({
        Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: 't', s3: { bucket: { name: 'b' }, object: {} } }],
      }),
      /not an S3 event/,
    ],
  ])('rejects %s', (_case, body, message) => {
    expect(() => parseUploadMessage(body)).toThrow(InvalidMessageError);
    expect(() => parseUploadMessage(body)).toThrow(message);
  });
});
