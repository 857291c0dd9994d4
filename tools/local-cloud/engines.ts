import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account';

/** The maintained engines the runner glues together: dynalite, s3rver and fauxqs. */
export interface Engines {
  readonly dynamodb: string;
  readonly s3: string;
  /** fauxqs serves both SQS and SNS on one port. */
  readonly sqs: string;
  readonly sns: string;
  /** Creates a queue under exactly this URL and ARN (CreateQueue would derive the URL itself). */
  createQueue(name: string, url: string, arn: string, attributes: Record<string, string>): void;
  /** Registers an access key with s3rver, which refuses keys it does not know. */
  allowS3Key(accessKeyId: string, secret: string): void;
  onS3Event(listener: (event: S3rverEvent) => void): void;
  stop(): Promise<void>;
}

/** What s3rver emits after a write: its own S3-like event (raw key, no version). */
export interface S3rverEvent {
  Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } } }>;
}

export async function startEngines(options: { host: string; dataDirectory: string | undefined; region: string }): Promise<Engines> {
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDirectory === undefined ? {} : { path: path.join(options.dataDirectory, 'dynamodb') }),
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, options.host, () => resolve());
  });
  const s3Directory =
    options.dataDirectory === undefined
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'local-cloud-s3-'))
      : path.join(options.dataDirectory, 's3');
  fs.mkdirSync(s3Directory, { recursive: true });
  // Function requests reach s3rver through the AWS gateway unchanged (their signature was made
  // for the gateway's host), so s3rver is told not to insist on matching signatures.
  const s3 = new S3rver({ address: options.host, port: 0, silent: true, directory: s3Directory, allowMismatchedSignatures: true });
  const s3Address = await s3.run();
  // fauxqs is an ES module only; the runner is CommonJS (like the rest of the project's tools).
  // Its own startFauxqs listens on every interface; the app it builds is bound to loopback here,
  // with stores the runner holds, so queues are created under the URLs functions will use (the
  // AWS gateway's), which fauxqs would otherwise derive from the request's Host header.
  const { buildApp } = (await importEsm('fauxqs')) as typeof import('fauxqs');
  const fauxqsDist = path.join(packageDirectory('fauxqs'), 'dist');
  const { SqsStore } = (await importEsm(pathToFileURL(path.join(fauxqsDist, 'sqs', 'sqsStore.js')).href)) as {
    SqsStore: new () => FauxqsSqsStore;
  };
  const { SnsStore } = (await importEsm(pathToFileURL(path.join(fauxqsDist, 'sns', 'snsStore.js')).href)) as {
    SnsStore: new () => unknown;
  };
  const { S3Store } = (await importEsm(pathToFileURL(path.join(fauxqsDist, 's3', 's3Store.js')).href)) as { S3Store: new () => unknown };
  const sqsStore = new SqsStore();
  const fauxqs = buildApp({
    logger: false,
    defaultRegion: options.region,
    stores: { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() } as never,
  });
  await fauxqs.listen({ port: 0, host: options.host });
  const fauxqsPort = (fauxqs.server.address() as AddressInfo).port;
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  return {
    dynamodb: `http://${options.host}:${dynamoPort}`,
    s3: `http://${options.host}:${s3Address.port}`,
    sqs: `http://${options.host}:${fauxqsPort}`,
    sns: `http://${options.host}:${fauxqsPort}`,
    createQueue: (name, url, arn, attributes) => {
      if (sqsStore.getQueue(url) === undefined) sqsStore.createQueue(name, url, arn, attributes);
    },
    allowS3Key: (accessKeyId, secret) => DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret),
    onS3Event: (listener) => (s3 as unknown as { on(name: 'event', listener: (event: S3rverEvent) => void): void }).on('event', listener),
    stop: async () => {
      await fauxqs.close();
      await s3.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      if (options.dataDirectory === undefined) fs.rmSync(s3Directory, { recursive: true, force: true });
    },
  };
}

/** A real dynamic import (TypeScript would turn `import()` into `require()` under CommonJS). */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface FauxqsSqsStore {
  createQueue(name: string, url: string, arn: string, attributes: Record<string, string>): unknown;
  getQueue(url: string): unknown;
}

/** The folder of an installed package, found like Node finds it (its exports hide package.json). */
function packageDirectory(name: string): string {
  for (const candidate of require.resolve.paths(name) ?? []) {
    if (fs.existsSync(path.join(candidate, name, 'package.json'))) return path.join(candidate, name);
  }
  throw new Error(`${name} is not installed (npm ci)`);
}
