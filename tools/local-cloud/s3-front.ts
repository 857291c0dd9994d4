import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { closeServer, listen } from './runtime';

/**
 * s3rver keeps one version per key. For buckets whose template enables versioning, this front
 * gives each object write a version ID as S3 would (the `x-amz-version-id` response header), and
 * hands the same ID to the bucket notification of that write, so a client can tell which version
 * an event is about (e.g. to find the import it started). Reads of any version return the latest
 * object: older versions are not kept.
 */
export async function startS3Front(options: { host: string; s3: string; versionedBuckets: Set<string> }): Promise<{
  url: string;
  /** The version ID given to the latest write of bucket/key not yet claimed by its event. */
  claimVersion(bucket: string, key: string): string | undefined;
  close(): Promise<void>;
}> {
  const pending = new Map<string, string[]>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const isObjectWrite =
      (request.method === 'PUT' &&
        key !== '' &&
        !url.searchParams.has('partNumber') &&
        !url.searchParams.has('tagging') &&
        !url.searchParams.has('acl')) ||
      (request.method === 'POST' && key !== '' && url.searchParams.has('uploadId'));
    const versionId = isObjectWrite && options.versionedBuckets.has(bucket) ? randomBytes(16).toString('base64url') : undefined;
    const target = new URL(request.url ?? '/', options.s3);
    if (versionId !== undefined) pending.set(`${bucket}/${key}`, [...(pending.get(`${bucket}/${key}`) ?? []), versionId]);
    const forwarded = http.request(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
      const headers = { ...answer.headers };
      if (versionId !== undefined && (answer.statusCode ?? 500) < 300) headers['x-amz-version-id'] = versionId;
      response.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(response);
    });
    forwarded.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/xml' });
      response.end(`<Error><Code>ServiceUnavailable</Code><Message>${error.message}</Message></Error>`);
    });
    request.pipe(forwarded);
  });
  await listen(server, options.host, 0, 'S3');
  return {
    url: `http://${options.host}:${(server.address() as { port: number }).port}`,
    claimVersion: (bucket, key) => {
      const list = pending.get(`${bucket}/${key}`);
      const versionId = list?.shift();
      if (list !== undefined && list.length === 0) pending.delete(`${bucket}/${key}`);
      return versionId;
    },
    close: () => closeServer(server),
  };
}
