import { GetObjectCommand, NoSuchKey, S3ServiceException, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectHead, ObjectReader } from '../domain/file-record';
import type { ByteSource } from '../domain/image-dimensions';
import type { CreatedObject } from '../domain/upload-events';

/** S3 errors that mean the object version no longer exists. */
const MISSING_ERRORS = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

/** Whether S3 said the version asked for is a delete marker (it answers 405 MethodNotAllowed, `x-amz-delete-marker: true`). */
function isDeleteMarker(error: S3ServiceException): boolean {
  return error.$metadata.httpStatusCode === 405 && error.$response?.headers?.['x-amz-delete-marker'] === 'true';
}

function isMissing(error: unknown): boolean {
  if (error instanceof NoSuchKey) return true;
  return error instanceof S3ServiceException && (MISSING_ERRORS.has(error.name) || isDeleteMarker(error));
}

function isInvalidRange(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'InvalidRange' || error.$metadata.httpStatusCode === 416);
}

/** The object's total size from `Content-Range: bytes 0-4095/123456`, or the length of a whole-object read. */
function totalSize(output: GetObjectCommandOutput): number | undefined {
  const match = /\/(\d+)$/.exec(output.ContentRange ?? '');
  if (match) return Number(match[1]);
  return output.ContentLength;
}

/**
 * Reads uploaded objects with ranged GetObject calls: a file is never downloaded whole, only the
 * bytes its header needs. Every read names the version from the event, so an object overwritten
 * since is still described as it was uploaded.
 *
 * In the versioned uploads bucket a plain DeleteObject does not remove the version: it adds a
 * delete marker, and the version stays readable by its ID (noncurrent). So "deleted before
 * processing" is asked of the key, not of the version: when the key has no current object (no
 * version, or a delete marker on top) the upload is `missing`, even though its version could
 * still be read. A version deleted for good (DeleteObject with its version ID) and a version ID
 * that is a delete marker are `missing` too. An upload overwritten since, or deleted and uploaded
 * again, is read as it was uploaded: the key still holds an object.
 */
export class ObjectsStore implements ObjectReader {
  constructor(private readonly client: S3Client) {}

  async readHead(object: CreatedObject, headBytes: number, signal?: AbortSignal): Promise<ObjectHead> {
    if (object.versioned && !(await this.keyHasCurrentObject(object, signal))) return { kind: 'missing' };
    let output: GetObjectCommandOutput;
    let head: Uint8Array;
    try {
      // An empty object is read whole: S3 refuses any byte range of it (416).
      ({ output, bytes: head } = object.size > 0 ? await this.get(object, signal, 0, headBytes) : await this.get(object, signal));
    } catch (error) {
      if (isMissing(error)) return { kind: 'missing' };
      // The event said the object had bytes, but S3 refused the range: it is empty, so read it whole.
      if (!isInvalidRange(error)) throw error;
      try {
        ({ output, bytes: head } = await this.get(object, signal));
      } catch (retryError) {
        if (isMissing(retryError)) return { kind: 'missing' };
        throw retryError;
      }
    }
    const size = totalSize(output) ?? object.size;
    const source: ByteSource = {
      size,
      read: async (offset, length) => (await this.get(object, signal, offset, length)).bytes,
    };
    return { kind: 'found', size, contentType: output.ContentType, eTag: output.ETag, head, source };
  }

  /**
   * Whether the key has a current version. A one-byte GetObject without a version ID rather than a
   * HeadObject: a HEAD answer has no body, so its 404 cannot tell a deleted key (NoSuchKey, with
   * `x-amz-delete-marker` when a marker is on top) from a missing bucket (NoSuchBucket, which must
   * be retried, not recorded).
   */
  private async keyHasCurrentObject(object: CreatedObject, signal?: AbortSignal): Promise<boolean> {
    try {
      // An object uploaded empty is asked for whole: S3 refuses any byte range of an empty object.
      const range = object.size > 0 ? { Range: 'bytes=0-0' } : {};
      const output = await this.client.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ...range }), {
        abortSignal: signal,
      });
      // The answer is the status; the body is not needed, so it is discarded unread.
      (output.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return true;
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.name === 'NoSuchKey')) return false;
      // An empty current object: S3 refuses any byte range of it, but it is there.
      if (isInvalidRange(error)) return true;
      throw error;
    }
  }

  private async get(
    object: CreatedObject,
    signal?: AbortSignal,
    offset?: number,
    length?: number,
  ): Promise<{ output: GetObjectCommandOutput; bytes: Uint8Array }> {
    const output = await this.client.send(
      new GetObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        ...(object.versioned ? { VersionId: object.versionId } : {}),
        ...(offset !== undefined && length !== undefined ? { Range: `bytes=${offset}-${offset + length - 1}` } : {}),
      }),
      { abortSignal: signal },
    );
    // Reading the body to its end also returns the connection to the pool.
    const bytes = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    return { output, bytes };
  }
}
