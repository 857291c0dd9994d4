// zod/mini: the same checks in a fraction of the bundle (see lambda/domain/user.ts).
import * as z from 'zod/mini';
import { BUCKET_LAYOUT } from './bucket-layout';

/**
 * What arrives on the files queue, and how to read it. Pure: no AWS SDK, no I/O.
 *
 * An SQS record's body is, with the subscription this project configures (raw delivery off), an
 * SNS notification whose `Message` is the S3 event as a JSON string. A raw-delivery body (the S3
 * event itself) is accepted too, so switching the subscription's delivery mode never drops files.
 */

/** Keys under this prefix are files to record (the files queue). */
export const INCOMING_PREFIX = BUCKET_LAYOUT.incoming;
/** Keys under this prefix are bulk imports, consumed by the import pipeline. */
export const IMPORTS_PREFIX = BUCKET_LAYOUT.imports;

/** S3 uses this version ID for objects written while versioning was off (and for unversioned buckets). */
export const NULL_VERSION_ID = 'null';

/** A queue message that is not an S3 event notification: it will never succeed, so it ends in the DLQ. */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
}

/** One object-created record from an S3 event, with its key decoded. */
export interface CreatedObject {
  readonly bucket: string;
  /** The object key, decoded from the event's URL encoding. */
  readonly key: string;
  /** The version the event is about; `null` (S3's own name) when the bucket is not versioned. */
  readonly versionId: string;
  /** Whether the event named a version (so reads must ask for exactly that version). */
  readonly versioned: boolean;
  readonly size: number;
  readonly eTag?: string;
  /** ISO 8601: when S3 says the object was created. */
  readonly eventTime: string;
  readonly eventName: string;
}

export type UploadNotification =
  /** S3's `s3:TestEvent`, sent when a notification configuration is saved: acknowledge and ignore. */
  | { readonly kind: 'test-event'; readonly snsMessageId?: string }
  | { readonly kind: 'records'; readonly snsMessageId?: string; readonly records: readonly S3EventRecord[] };

/** One record of an S3 event: an object created, or another event this queue does not process. */
export type S3EventRecord =
  | { readonly kind: 'object-created'; readonly object: CreatedObject }
  | { readonly kind: 'other'; readonly eventName: string; readonly bucket: string; readonly key: string };

/**
 * Decodes a key as S3 writes it in event notifications: form encoding, so `+` is a space, `%2B` a
 * plus sign, and non-ASCII characters are percent-encoded UTF-8.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new InvalidMessageError('The object key in the S3 event is not valid URL encoding');
  }
}

const snsEnvelopeSchema = z.object({
  Type: z.literal('Notification'),
  MessageId: z.optional(z.string()),
  Message: z.string(),
});

const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

const s3RecordSchema = z.object({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().check(z.minLength(1)) }),
    object: z.object({
      key: z.string().check(z.minLength(1)),
      size: z.optional(z.int().check(z.nonnegative())),
      eTag: z.optional(z.string()),
      versionId: z.optional(z.string().check(z.minLength(1))),
    }),
  }),
});

const s3EventSchema = z.object({ Records: z.array(s3RecordSchema).check(z.minLength(1)) });

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidMessageError(`${what} is not JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeProblem(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

/** Reads an S3 event (or S3's test event) from a parsed JSON value. */
function parseS3Event(value: unknown, snsMessageId: string | undefined, where: string): UploadNotification {
  if (z.safeParse(s3TestEventSchema, value).success) return { kind: 'test-event', snsMessageId };
  const parsed = z.safeParse(s3EventSchema, value);
  if (!parsed.success) {
    throw new InvalidMessageError(`${where} is not an S3 event (${describeProblem(parsed.error)})`);
  }
  const records = parsed.data.Records.map((record): S3EventRecord => {
    const key = decodeS3Key(record.s3.object.key);
    const bucket = record.s3.bucket.name;
    if (!record.eventName.startsWith('ObjectCreated:')) return { kind: 'other', eventName: record.eventName, bucket, key };
    const { versionId, size, eTag } = record.s3.object;
    return {
      kind: 'object-created',
      object: {
        bucket,
        key,
        versionId: versionId ?? NULL_VERSION_ID,
        versioned: versionId !== undefined && versionId !== NULL_VERSION_ID,
        size: size ?? 0,
        eTag,
        eventTime: record.eventTime,
        eventName: record.eventName,
      },
    };
  });
  return { kind: 'records', snsMessageId, records };
}

/**
 * Parses an SQS message body from the files queue: an SNS notification wrapping an S3 event, or
 * (raw delivery) the S3 event itself. Throws InvalidMessageError for anything else.
 */
export function parseUploadMessage(body: string): UploadNotification {
  const value = parseJson(body, 'The message body');
  if (!isObject(value)) throw new InvalidMessageError('The message body is not a JSON object');
  if ('Type' in value || 'TopicArn' in value) {
    const envelope = z.safeParse(snsEnvelopeSchema, value);
    if (!envelope.success) {
      throw new InvalidMessageError(`The message body is not an SNS notification (${describeProblem(envelope.error)})`);
    }
    const message = parseJson(envelope.data.Message, 'The SNS message');
    return parseS3Event(message, envelope.data.MessageId, 'The SNS message');
  }
  if ('Records' in value || 'Event' in value) return parseS3Event(value, undefined, 'The message body');
  throw new InvalidMessageError('The message body is neither an SNS notification nor an S3 event');
}
