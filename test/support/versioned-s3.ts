import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small S3 fake that models object versioning, for the contract test of the code that reads
 * uploads (lambda/store/objects-store.ts). s3rver, the tests' S3 engine, keeps one object per key
 * and ignores version IDs; no S3-compatible server on the npm registry that runs on Node 20
 * models versioning (fauxqs and s3rver do not), so this one is written to S3's documented
 * behaviour of a versioning-enabled bucket:
 *
 * - PUT adds a version and returns its ID; DELETE without a version ID adds a delete marker (the
 *   versions stay, noncurrent); DELETE with a version ID removes that version for good.
 * - GET/HEAD without a version ID reads the current version: 404 NoSuchKey when there is none,
 *   with `x-amz-delete-marker: true` when the current version is a delete marker.
 * - GET/HEAD with a version ID reads that version, current or not: 404 NoSuchVersion when it does
 *   not exist, 405 MethodNotAllowed with `x-amz-delete-marker: true` when it is a delete marker.
 * - Range reads (206 with Content-Range; 416 InvalidRange past the end).
 *
 * Its scope is exactly that: path-style requests, no signature checks, no listing, no multipart,
 * no bucket configuration. It stands in for S3 only where s3rver cannot.
 */
export interface VersionedS3 {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface Version {
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly eTag: string;
  readonly lastModified: Date;
}

function errorBody(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

export async function startVersionedS3(buckets: readonly string[]): Promise<VersionedS3> {
  // bucket -> key -> versions, oldest first (the last is the current version).
  const store = new Map<string, Map<string, Version[]>>(buckets.map((name) => [name, new Map()]));

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const [, bucketName, ...keyParts] = url.pathname.split('/');
      const key = decodeURIComponent(keyParts.join('/'));
      const versionId = url.searchParams.get('versionId') ?? undefined;
      const isHead = request.method === 'HEAD';

      const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
        const body = isHead ? '' : errorBody(code, message);
        response.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), ...headers });
        response.end(body);
      };

      const bucket = store.get(decodeURIComponent(bucketName ?? ''));
      if (!bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
      const versions = bucket.get(key) ?? [];

      if (request.method === 'PUT') {
        const body = Buffer.concat(chunks);
        const version: Version = {
          versionId: randomBytes(16).toString('base64url'),
          deleteMarker: false,
          body,
          contentType: request.headers['content-type'],
          eTag: `"${createHash('md5').update(body).digest('hex')}"`,
          lastModified: new Date(),
        };
        bucket.set(key, [...versions, version]);
        response.writeHead(200, { ETag: version.eTag, 'x-amz-version-id': version.versionId, 'Content-Length': 0 });
        return response.end();
      }

      if (request.method === 'DELETE') {
        if (versionId === undefined) {
          const marker: Version = {
            versionId: randomBytes(16).toString('base64url'),
            deleteMarker: true,
            body: Buffer.alloc(0),
            eTag: '',
            lastModified: new Date(),
          };
          bucket.set(key, [...versions, marker]);
          response.writeHead(204, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId });
          return response.end();
        }
        const removed = versions.find((version) => version.versionId === versionId);
        bucket.set(
          key,
          versions.filter((version) => version.versionId !== versionId),
        );
        response.writeHead(204, { 'x-amz-version-id': versionId, ...(removed?.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) });
        return response.end();
      }

      if (request.method !== 'GET' && !isHead) return fail(501, 'NotImplemented', 'Not modelled by this fake');

      let version: Version | undefined;
      if (versionId === undefined) {
        version = versions.at(-1);
        if (!version) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        if (version.deleteMarker) {
          return fail(404, 'NoSuchKey', 'The specified key does not exist.', {
            'x-amz-delete-marker': 'true',
            'x-amz-version-id': version.versionId,
          });
        }
      } else {
        version = versions.find((candidate) => candidate.versionId === versionId);
        if (!version) return fail(404, 'NoSuchVersion', 'The specified version does not exist.');
        if (version.deleteMarker) {
          return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
            'x-amz-delete-marker': 'true',
            'x-amz-version-id': version.versionId,
            Allow: 'DELETE',
          });
        }
      }

      const size = version.body.length;
      const headers: Record<string, string | number> = {
        ETag: version.eTag,
        'Last-Modified': version.lastModified.toUTCString(),
        'x-amz-version-id': version.versionId,
        'Accept-Ranges': 'bytes',
        ...(version.contentType ? { 'Content-Type': version.contentType } : {}),
      };
      const range = /^bytes=(\d+)-(\d+)?$/.exec(request.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(range[2] === undefined ? size - 1 : Number(range[2]), size - 1);
        if (start >= size)
          return fail(416, 'InvalidRange', 'The requested range is not satisfiable', { 'Content-Range': `bytes */${size}` });
        const part = version.body.subarray(start, end + 1);
        response.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': part.length });
        return response.end(isHead ? undefined : part);
      }
      response.writeHead(200, { ...headers, 'Content-Length': size });
      return response.end(isHead ? undefined : version.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
