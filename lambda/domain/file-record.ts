import { imageDimensions, HEADER_PROBE_BYTES, type ByteSource, type ImageFormat } from './image-dimensions';
import { INCOMING_PREFIX, type CreatedObject } from './upload-events';

/**
 * One uploaded file as the files table holds it: one item per object version, keyed on bucket, key
 * and version, so a second delivery of the same event finds the item already there.
 */
export interface FileRecord {
  /** Partition key: `<bucket>/<key>`. */
  readonly objectId: string;
  /** Sort key: the S3 version ID (`null` in an unversioned bucket). */
  readonly versionId: string;
  readonly bucket: string;
  readonly key: string;
  /** `stored`: the object was read. `missing`: it was gone (deleted) before it could be processed. */
  readonly status: 'stored' | 'missing';
  readonly size: number;
  readonly contentType?: string;
  /** The ETag without its quotes. */
  readonly eTag?: string;
  /** ISO 8601: when S3 says the object was created. */
  readonly uploadedAt: string;
  /** ISO 8601: when this record was written. */
  readonly processedAt: string;
  readonly imageFormat?: ImageFormat;
  readonly width?: number;
  readonly height?: number;
  /** Epoch seconds: when DynamoDB's TTL removes the record (the files table's TTL attribute). */
  readonly expiresAt?: number;
}

/** What reading the start of an object found. */
export type ObjectHead =
  | { readonly kind: 'missing' }
  | {
      readonly kind: 'found';
      readonly size: number;
      readonly contentType?: string;
      readonly eTag?: string;
      /** The first bytes of the object (up to the number asked for). */
      readonly head: Uint8Array;
      /** Reads more of the same object version. */
      readonly source: ByteSource;
    };

/** Reads objects of the uploads bucket (implemented over S3 in lambda/store). */
export interface ObjectReader {
  /**
   * The first `headBytes` bytes and the metadata of exactly this version; `missing` when it no
   * longer exists. Every read it makes, now or later through `source`, stops when `signal` aborts.
   */
  readHead(object: CreatedObject, headBytes: number, signal?: AbortSignal): Promise<ObjectHead>;
}

/** Writes file records (implemented over DynamoDB in lambda/store). */
export interface FileRegistry {
  /** Writes the record unless one exists for its bucket, key and version; true when this call wrote it. */
  recordOnce(record: FileRecord): Promise<boolean>;
}

export type FileOutcome =
  | { readonly kind: 'recorded'; readonly record: FileRecord }
  | { readonly kind: 'missing'; readonly record: FileRecord }
  | { readonly kind: 'duplicate'; readonly record: FileRecord }
  | { readonly kind: 'ignored'; readonly reason: string };

export function objectIdOf(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

function unquote(eTag: string | undefined): string | undefined {
  return eTag?.replace(/^"(.*)"$/, '$1');
}

/**
 * Records one created object once: reads its metadata and, for images, only the header bytes that
 * hold the dimensions; writes the record with a conditional put. A version processed before is a
 * `duplicate` and its record is left as it was. An object that is gone is recorded as `missing`,
 * so its message is acknowledged instead of retried until the DLQ.
 */
export async function recordCreatedObject(
  object: CreatedObject,
  deps: {
    readonly reader: ObjectReader;
    readonly registry: FileRegistry;
    readonly now: () => Date;
    /** Days a record is kept before DynamoDB's TTL removes it. @default kept for ever */
    readonly retentionDays?: number;
    /** Aborts the object reads when the record's time is up. @default no deadline */
    readonly signal?: AbortSignal;
  },
): Promise<FileOutcome> {
  if (!object.key.startsWith(INCOMING_PREFIX)) {
    return { kind: 'ignored', reason: `the key is outside ${INCOMING_PREFIX}` };
  }
  const base = {
    objectId: objectIdOf(object.bucket, object.key),
    versionId: object.versionId,
    bucket: object.bucket,
    key: object.key,
    uploadedAt: object.eventTime,
    ...(deps.retentionDays === undefined ? {} : { expiresAt: Math.floor(deps.now().getTime() / 1000) + deps.retentionDays * 86_400 }),
  };
  const head = await deps.reader.readHead(object, HEADER_PROBE_BYTES, deps.signal);

  let record: FileRecord;
  if (head.kind === 'missing') {
    record = { ...base, status: 'missing', size: object.size, eTag: unquote(object.eTag), processedAt: deps.now().toISOString() };
  } else {
    const dimensions = await imageDimensions(head.head, head.source);
    record = {
      ...base,
      status: 'stored',
      size: head.size,
      contentType: head.contentType,
      eTag: unquote(head.eTag ?? object.eTag),
      processedAt: deps.now().toISOString(),
      ...(dimensions ? { imageFormat: dimensions.format, width: dimensions.width, height: dimensions.height } : {}),
    };
  }

  const created = await deps.registry.recordOnce(record);
  if (!created) return { kind: 'duplicate', record };
  return head.kind === 'missing' ? { kind: 'missing', record } : { kind: 'recorded', record };
}
