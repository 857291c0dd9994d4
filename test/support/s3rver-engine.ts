import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** An S3-compatible server (s3rver, objects in a temporary folder) on a free loopback port. */
export interface S3rverEngine {
  readonly endpoint: string;
  /** A client that works with s3rver: path-style, and checksums only where S3 requires them. */
  readonly client: S3Client;
  stop(): Promise<void>;
}

/**
 * Starts s3rver with `buckets` created. The client is configured as the toolchain notes require:
 * with the SDK's default checksums, s3rver stores streamed bodies corrupted.
 */
export async function startS3rver(buckets: readonly string[]): Promise<S3rverEngine> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The environment a child process (or in-process `main`) needs to use the local engines through
 * the SDK's standard variables, with dummy credentials so nothing can reach a real account.
 */
export function localAwsEnv(endpoints: { dynamodb: string; s3?: string }): Record<string, string> {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.s3 === undefined ? {} : { AWS_ENDPOINT_URL_S3: endpoints.s3 }),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
