/**
 * Benchmark of the worker image's two modes against the local engines (dynalite, s3rver):
 *
 * - import: the worker's rate (records per second, whole job: S3 stream, parse, validate,
 *   normalise, conditional puts, checkpoints) next to the floor, the same records written with
 *   plain PutItem calls and no logic, at the same concurrency, in the same run;
 * - export: rows per second and the server process's peak RSS for 5,000 and 50,000 users, to show
 *   memory does not grow with the number of users.
 *
 * Each measurement gets a fresh dynalite, so no run pays for the data of another.
 * Run alone with `npx tsx bench/containers.ts`.
 */
import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import { userIdForEmail } from '../lambda/domain/user-id';
import { batchWrite, chunksOf, MAX_WRITE_BATCH } from '../containers/worker/src/batch';
import { forEachLimited } from '../lambda/domain/import-engine';
import { main } from '../containers/worker/src/worker';
import { startLocalDynamo, createTableFromTemplate, type LocalDynamo } from '../test/support/local-dynamodb';
import { localAwsEnv } from '../test/support/local-aws-env';
import { startLocalTokenIssuer } from '../test/support/local-token-issuer';
import { startLocalS3 } from '../test/support/local-s3';
import { statefulStackTemplate } from '../test/support/stateful-tables';
import { buildWorkerBundle, logsWithMessage, spawnWorker } from '../test/support/worker-process';

export interface ContainersBenchOptions {
  /** @default 50_000 */
  readonly importRecords?: number;
  /** @default [5_000, 50_000] */
  readonly exportSizes?: readonly number[];
  /** Requests in flight, for the worker and the floor alike. @default 32 (the engine's default) */
  readonly concurrency?: number;
  /** Alternating floor/worker rounds; the best of each is kept, which filters out a busy machine. @default 2 */
  readonly rounds?: number;
}

export interface ContainersBenchResult {
  readonly importRecords: number;
  readonly workerRecordsPerSecond: number;
  readonly floorRecordsPerSecond: number;
  /** worker / floor; the target is at least 0.7. */
  readonly importRatio: number;
  readonly exports: readonly { users: number; rowsPerSecond: number; peakRssMiB: number }[];
  /** Peak RSS of the largest export / of the smallest; flat memory keeps this near 1. */
  readonly exportMemoryRatio: number;
}

const BUCKET = 'bench-imports';

function record(i: number): { name: string; email: string; phone?: string } {
  return {
    name: `Bench User ${i}`,
    email: `bench.user.${i}@example.com`,
    ...(i % 3 === 0 ? { phone: `+4477009${String(i).padStart(5, '0')}` } : {}),
  };
}

/** The item the worker would write for record i (the floor writes the same bytes, without any logic). */
function itemOf(i: number, createdAt: string): Record<string, AttributeValue> {
  const r = record(i);
  return {
    id: { S: userIdForEmail(r.email) },
    name: { S: r.name },
    email: { S: r.email },
    createdAt: { S: createdAt },
    importId: { S: 'floor' },
    importLine: { N: String(i + 1) },
    ...(r.phone ? { phone: { S: r.phone } } : {}),
  };
}

async function withDynamo<T>(run: (dynamo: LocalDynamo) => Promise<T>): Promise<T> {
  const dynamo = await startLocalDynamo();
  try {
    return await run(dynamo);
  } finally {
    await dynamo.stop();
  }
}

async function writeAll(dynamo: LocalDynamo, table: string, count: number, concurrency: number): Promise<void> {
  const createdAt = new Date().toISOString();
  const items = Array.from({ length: count }, (_, i) => itemOf(i, createdAt));
  await forEachLimited(chunksOf(items, MAX_WRITE_BATCH), concurrency, (batch) => batchWrite(dynamo.client, table, batch));
}

async function measureFloor(count: number, concurrency: number): Promise<number> {
  return withDynamo(async (dynamo) => {
    const table = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
    const createdAt = new Date().toISOString();
    const items = Array.from({ length: count }, (_, i) => itemOf(i, createdAt));
    const started = performance.now();
    // The worker's write pattern (one PutItem per user, `concurrency` in flight) without its logic.
    await forEachLimited(items, concurrency, async (Item) => {
      await dynamo.client.send(new PutItemCommand({ TableName: table, Item }));
    });
    return count / ((performance.now() - started) / 1000);
  });
}

async function measureWorker(count: number, concurrency: number): Promise<number> {
  const s3 = await startLocalS3([BUCKET]);
  try {
    const body = Array.from({ length: count }, (_, i) => JSON.stringify(record(i))).join('\n');
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'imports/bench.jsonl', Body: body }));
    return await withDynamo(async (dynamo) => {
      const usersTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
      const checkpointsTable = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ImportCheckpointsTable');
      // The worker's own main, in this process like the floor, so both share the engine's event loop.
      const env = {
        ...localAwsEnv({ dynamodb: dynamo.endpoint, s3: s3.endpoint }),
        POWERTOOLS_LOG_LEVEL: 'WARN',
        IMPORT_BUCKET: BUCKET,
        IMPORT_KEY: 'imports/bench.jsonl',
        IMPORT_ID: 'bench',
        USERS_TABLE_NAME: usersTable,
        CHECKPOINTS_TABLE_NAME: checkpointsTable,
        IMPORT_CONCURRENCY: String(concurrency),
      };
      Object.assign(process.env, env); // the SDK reads endpoints and credentials from process.env
      const started = performance.now();
      const code = await main(['import'], env, { stopSignal: new AbortController().signal });
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) throw new Error(`The import exited with ${code}`);
      return count / seconds;
    });
  } finally {
    await s3.stop();
  }
}

async function measureExport(
  bundle: string,
  users: number,
  concurrency: number,
): Promise<{ users: number; rowsPerSecond: number; peakRssMiB: number }> {
  return withDynamo(async (dynamo) => {
    const table = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
    await writeAll(dynamo, table, users, concurrency);
    // The server in its own process, as in its container, so its RSS is its own.
    // The export needs a token with its scope, as in AWS: a loopback issuer stands in for Cognito.
    const issuer = await startLocalTokenIssuer();
    const auth = {
      AUTH_ISSUER: issuer.issuer,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_CLIENT_IDS: 'local-client',
      AUTH_REQUIRED_SCOPE: 'user-data-api/exports.read',
    };
    const worker = spawnWorker(bundle, ['serve'], {
      ...localAwsEnv({ dynamodb: dynamo.endpoint }),
      ...auth,
      USERS_TABLE_NAME: table,
      PORT: '0',
    });
    try {
      const token = await issuer.sign();
      const url = await waitFor(() => logsWithMessage(worker.lines, 'Export server listening')[0]?.url as string | undefined);
      const started = performance.now();
      const response = await fetch(`${url}/exports/users.csv`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok || response.body === null) throw new Error(`Export answered ${response.status}`);
      let newlines = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const byte of chunk) if (byte === 10) newlines += 1;
      }
      const seconds = (performance.now() - started) / 1000;
      if (newlines - 1 !== users) throw new Error(`Export had ${newlines - 1} rows, expected ${users}`);
      worker.child.kill('SIGTERM');
      await worker.exited;
      const peakRssMiB = Number(logsWithMessage(worker.lines, 'Export server stopped')[0]?.maxRssMiB);
      return { users, rowsPerSecond: users / seconds, peakRssMiB };
    } finally {
      await issuer.stop();
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for the worker');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function runContainersBench(options: ContainersBenchOptions = {}): Promise<ContainersBenchResult> {
  const importRecords = options.importRecords ?? 50_000;
  const exportSizes = [...(options.exportSizes ?? [5_000, 50_000])].sort((a, b) => a - b);
  const concurrency = options.concurrency ?? 32;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');

  const rounds = options.rounds ?? 2;
  let floorRecordsPerSecond = 0;
  let workerRecordsPerSecond = 0;
  for (let round = 0; round < rounds; round += 1) {
    floorRecordsPerSecond = Math.max(floorRecordsPerSecond, await measureFloor(importRecords, concurrency));
    workerRecordsPerSecond = Math.max(workerRecordsPerSecond, await measureWorker(importRecords, concurrency));
  }
  const importRatio = workerRecordsPerSecond / floorRecordsPerSecond;
  console.log(`import, ${fmt(importRecords)} records, concurrency ${concurrency}, best of ${rounds} alternating rounds`);
  console.log(`  floor (plain PutItem):        ${fmt(floorRecordsPerSecond)} records/s`);
  console.log(`  worker (whole job):           ${fmt(workerRecordsPerSecond)} records/s`);
  console.log(`  worker / floor:               ${(importRatio * 100).toFixed(0)}% (target at least 70%)`);

  const bundle = await buildWorkerBundle();
  const exports: { users: number; rowsPerSecond: number; peakRssMiB: number }[] = [];
  for (const users of exportSizes) exports.push(await measureExport(bundle, users, concurrency));
  const exportMemoryRatio = exports[exports.length - 1].peakRssMiB / exports[0].peakRssMiB;
  console.log('export (server process, GET /exports/users.csv)');
  for (const result of exports) {
    console.log(`  ${fmt(result.users)} users: ${fmt(result.rowsPerSecond)} rows/s, peak RSS ${result.peakRssMiB} MiB`);
  }
  console.log(
    `  peak RSS ${fmt(exports[exports.length - 1].users)} / ${fmt(exports[0].users)} users: ${exportMemoryRatio.toFixed(2)} (flat is about 1)`,
  );

  return { importRecords, workerRecordsPerSecond, floorRecordsPerSecond, importRatio, exports, exportMemoryRatio };
}

if (require.main === module) {
  runContainersBench().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
