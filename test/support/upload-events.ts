import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { fixture } from './events';

/**
 * Encodes a key as S3 writes it in event notifications: form encoding with `+` for a space and
 * percent-encoded UTF-8 for everything else that is not unreserved, slashes left as they are.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

export interface ObjectEvent {
  readonly bucket: string;
  /** The key as uploaded; it is encoded into the event as S3 does. */
  readonly key: string;
  readonly size: number;
  readonly eTag?: string;
  readonly versionId?: string;
  /** @default 'ObjectCreated:Put' */
  readonly eventName?: string;
  /** @default now */
  readonly eventTime?: string;
}

/** An S3 event notification (the fixture s3Event.json) about one object. */
export function s3Event(object: ObjectEvent): Record<string, unknown> {
  const event = fixture<{ Records: Record<string, any>[] }>('s3Event.json');
  const record = event.Records[0];
  return {
    Records: [
      {
        ...record,
        awsRegion: 'eu-west-1',
        eventName: object.eventName ?? 'ObjectCreated:Put',
        eventTime: object.eventTime ?? new Date().toISOString(),
        s3: {
          ...record.s3,
          bucket: { ...record.s3.bucket, name: object.bucket, arn: `arn:aws:s3:::${object.bucket}` },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size,
            ...(object.eTag === undefined ? {} : { eTag: object.eTag }),
            ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
            sequencer: record.s3.object.sequencer,
          },
        },
      },
    ],
  };
}

/** The event S3 sends to a destination when a notification configuration is saved. */
export function s3TestEvent(bucket: string): Record<string, unknown> {
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: '5582815E1AEA5ADF',
    HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
  };
}

/** An SQS record (from snsSqsEvent.json) whose body is the SNS notification of `message`, as SNS delivers it. */
export function sqsRecordFromSns(message: unknown, options: { messageId?: string } = {}): SQSRecord {
  const record = fixture<SQSEvent>('snsSqsEvent.json').Records[0];
  const envelope = JSON.parse(record.body) as Record<string, unknown>;
  const body = JSON.stringify(
    { ...envelope, MessageId: randomUUID(), Message: typeof message === 'string' ? message : JSON.stringify(message) },
    null,
    2,
  );
  return { ...record, messageId: options.messageId ?? randomUUID(), body };
}

/** An SQS record whose body is given as it is (raw delivery, or a malformed message). */
export function sqsRecordWithBody(body: string, options: { messageId?: string } = {}): SQSRecord {
  const record = fixture<SQSEvent>('snsSqsEvent.json').Records[0];
  return { ...record, messageId: options.messageId ?? randomUUID(), body };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
