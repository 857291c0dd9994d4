/**
 * Benchmark of the Load step (the real handler, so the import engine with its conditional puts at
 * bounded concurrency) with a fixed latency injected into every DynamoDB call, as a deployed Load
 * sees it: a middleware innermost in the DynamoDB client's stack waits `latency` ms and answers
 * like DynamoDB (200, `{}`: every user is new, nothing is throttled) without any engine behind it.
 * The normalised chunks come from s3rver, as Transform leaves them.
 *
 * It prints Load's rate (records/s), the time and margin against the 300 s Lambda timeout for a
 * 414k-row (19.8 MB) file, and the size threshold that rate supports; every figure is also given
 * as a ratio against the baseline measured in the same run: the same Load with no injected
 * latency (what this machine's CPU allows).
 *
 * Run alone with `npx tsx bench/import-load.ts` (`BENCH_IMPORT_RECORDS`, default 20,000).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { DeserializeHandler, DeserializeHandlerArguments, DeserializeHandlerOutput, MetadataBearer } from '@smithy/types';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { chunkText, importRunKeys, IMPORT_CHUNK_RECORDS } from '../lambda/domain/import-job';
import { lambdaContext } from '../test/support/events';
import { useLocalAws } from '../test/support/local-aws-env';
import { startLocalS3 } from '../test/support/local-s3';

const BUCKET = 'bench-import-load';
const RECORDS = Number(process.env.BENCH_IMPORT_RECORDS ?? 20_000);
/** The file of issue 11: just under the 20 MiB threshold. */
const FILE_ROWS = 414_000;
const FILE_BYTES = 19.8 * 1024 * 1024;
const LAMBDA_TIMEOUT_S = 300;

export interface ImportLoadBenchResult {
  readonly latencyMs: number;
  readonly recordsPerSecond: number;
  readonly baselineRecordsPerSecond: number;
  readonly secondsFor414k: number;
  readonly marginSeconds: number;
  readonly thresholdBytes: number;
}

let latencyMs = 0;
let calls = 0;

/** Stands in for DynamoDB: waits `latencyMs`, then answers as a successful call does. */
function dynamoStandIn<Output extends MetadataBearer>(): (next: DeserializeHandler<object, Output>) => DeserializeHandler<object, Output> {
  return () =>
    async (_args: DeserializeHandlerArguments<object>): Promise<DeserializeHandlerOutput<Output>> => {
      calls += 1;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      // The shape of the SDK's HttpResponse, which the deserializer reads.
      const response = {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: Readable.from([Buffer.from('{}')]),
      };
      return { response, output: undefined as unknown as Output };
    };
}

export async function benchImportLoad(): Promise<ImportLoadBenchResult> {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const s3 = await startLocalS3([BUCKET]);
  try {
    // DynamoDB is never reached (the stand-in answers first); S3 is s3rver.
    useLocalAws({ s3: s3.endpoint, dynamodb: 'http://127.0.0.1:9' });
    Object.assign(process.env, {
      UPLOADS_BUCKET_NAME: BUCKET,
      USERS_TABLE_NAME: 'bench-users',
      CHECKPOINTS_TABLE_NAME: 'bench-checkpoints',
    });
    const { documentClient } = await import('../lambda/shared/clients/dynamodb');
    const { handler, LOAD_TIME_RESERVE_MS } = await import('../lambda/handlers/import-load');
    documentClient().middlewareStack.add(dynamoStandIn(), { step: 'deserialize', priority: 'low', name: 'benchDynamoStandIn' });

    let importCount = 0;
    const run = async (latency: number): Promise<number> => {
      latencyMs = latency;
      importCount += 1;
      const importId = `import-bench-${importCount}`;
      const keys = importRunKeys(importId);
      const chunkCount = Math.ceil(RECORDS / IMPORT_CHUNK_RECORDS);
      for (let index = 0; index < chunkCount; index += 1) {
        const lines = Array.from({ length: Math.min(IMPORT_CHUNK_RECORDS, RECORDS - index * IMPORT_CHUNK_RECORDS) }, (_, offset) => {
          const line = index * IMPORT_CHUNK_RECORDS + offset + 2;
          return { line, record: { name: `Bench User ${line}`, email: `bench.${line}@example.com` } };
        });
        await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys.normalisedChunk(index), Body: chunkText(lines) }));
      }
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const result = await handler(
        {
          importId,
          bucket: BUCKET,
          key: 'imports/bench.csv',
          submittedAt: new Date().toISOString(),
          transform: { chunkCount, records: RECORDS },
        },
        // Time enough that the budget never stops it: the rate is measured over the whole run.
        lambdaContext('import-load', 3_600_000 + LOAD_TIME_RESERVE_MS),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      cpuMsPerRecord = (cpu.user + cpu.system) / 1000 / RECORDS;
      if (!result.done || result.loaded !== RECORDS) throw new Error(`Load ended ${JSON.stringify(result)}`);
      return RECORDS / seconds;
    };
    let cpuMsPerRecord = 0;

    await run(0); // warm-up: module loading, JIT, connections to s3rver
    const baselineRecordsPerSecond = await run(0);
    const baselineCpuMsPerRecord = cpuMsPerRecord;
    calls = 0;
    const measuredLatency = 15;
    const recordsPerSecond = await run(measuredLatency);
    const callsPerRecord = calls / RECORDS;

    const secondsFor414k = FILE_ROWS / recordsPerSecond;
    const marginSeconds = LAMBDA_TIMEOUT_S - secondsFor414k;
    const budgetSeconds = (LAMBDA_TIMEOUT_S * 1000 - LOAD_TIME_RESERVE_MS) / 1000;
    // The threshold: a file Load finishes in half of one invocation's budget (a factor 2 for a
    // slower DynamoDB or a busy function), at the bytes per row of the file.
    const bytesPerRow = FILE_BYTES / FILE_ROWS;
    const thresholdBytes = recordsPerSecond * (budgetSeconds / 2) * bytesPerRow;
    // What the Load before the engine did for this file: ~21k strictly sequential calls.
    const sequentialSecondsFor414k = ((FILE_ROWS / 100 + FILE_ROWS / 25) * measuredLatency) / 1000;

    const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(`import Load, ${fmt(RECORDS)} records, DynamoDB stand-in (${callsPerRecord.toFixed(2)} calls per record)`);
    console.log(
      `  baseline, no injected latency:  ${fmt(baselineRecordsPerSecond)} records/s, ${baselineCpuMsPerRecord.toFixed(3)} ms of CPU per record (${fmt(1000 / baselineCpuMsPerRecord)} records/s per vCPU)`,
    );
    console.log(
      `  ${measuredLatency} ms per DynamoDB call:        ${fmt(recordsPerSecond)} records/s (${((recordsPerSecond / baselineRecordsPerSecond) * 100).toFixed(0)}% of baseline)`,
    );
    console.log(
      `  414k rows at that rate:         ${secondsFor414k.toFixed(0)} s = ${((secondsFor414k / LAMBDA_TIMEOUT_S) * 100).toFixed(0)}% of the ${LAMBDA_TIMEOUT_S} s timeout (margin ${marginSeconds.toFixed(0)} s); one invocation's budget is ${budgetSeconds} s, Load continues past it`,
    );
    console.log(
      `  the sequential Load it replaces: ${sequentialSecondsFor414k.toFixed(0)} s for the same file (${(sequentialSecondsFor414k / secondsFor414k).toFixed(1)}x the engine's time)`,
    );
    console.log(
      `  threshold from the rate:        ${mib(thresholdBytes)} MiB (${fmt(recordsPerSecond)} records/s x ${budgetSeconds / 2} s x ${bytesPerRow.toFixed(1)} bytes/row)`,
    );
    return { latencyMs: measuredLatency, recordsPerSecond, baselineRecordsPerSecond, secondsFor414k, marginSeconds, thresholdBytes };
  } finally {
    await s3.stop();
  }
}

if (require.main === module) {
  benchImportLoad().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
