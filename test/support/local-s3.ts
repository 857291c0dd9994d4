import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type * as http from 'node:http';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';
import { LOCAL_CREDENTIALS } from './local-aws-env';

/**
 * The one S3 engine of the tests and benchmarks.
 *
 * s3rver checks request signatures against its own accounts and knows only the key S3RVER out of
 * the box; the dummy credentials every test gives the SDK (useLocalAws, localAwsEnv) are
 * registered as a key pair of its dummy account, so handlers, child processes and the test's own
 * client all sign with the same keys and nothing needs s3rver's own.
 */
const TEST_CREDENTIALS = LOCAL_CREDENTIALS;

/** An S3-compatible server (s3rver) on a free loopback port, storing objects in a temporary folder. */
export interface LocalS3 {
  readonly endpoint: string;
  /** A client for the test's own calls (uploads, deletes), configured for s3rver. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver with the buckets given. Bucket names must be 3–63 characters. The client uses
 * path-style addressing and checksums only when required: with the SDK's default checksums,
 * s3rver stores streamed PutObject bodies corrupted (see the toolchain notes).
 */
export async function startLocalS3(buckets: readonly string[] = []): Promise<LocalS3> {
  DUMMY_ACCOUNT.createKeyPair(TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey);
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'local-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  // Real S3 keeps idle connections open far longer than Node's 5 s default. With the default, a
  // kept-alive connection that idled 5 s (while a worker process ran, say) can be reused in the
  // instant the server closes it: ECONNRESET, which a client that retries nothing (the import tests
  // set AWS_MAX_ATTEMPTS=1) reports as a failed task.
  const httpServer = (server as unknown as { httpServer: http.Server }).httpServer;
  httpServer.keepAliveTimeout = 10 * 60_000;
  httpServer.headersTimeout = httpServer.keepAliveTimeout + 1_000;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'eu-west-1',
    credentials: TEST_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
