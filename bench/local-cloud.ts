import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { pngImage } from '../test/support/images';
import { accessToken, devAssembly, localS3Client, scopeNamed, startLocalCloud } from '../test/e2e/support/local-cloud';

/**
 * The local cloud (`npm start`) as a developer meets it, each figure with a baseline measured in
 * the same run on the same machine:
 * - start-up after synth (cdk.out cached) against starting a bare Node process;
 * - POST /users round trip through the local API Gateway, the create-user function's own process
 *   and dynalite, against a round trip to a bare HTTP server on loopback;
 * - files per second through S3 → SNS → SQS → process-upload → DynamoDB, against S3 uploads alone.
 */
const STARTS = Number(process.env.BENCH_STARTS ?? 3);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const FILES = Number(process.env.BENCH_FILES ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchLocalCloud(): Promise<void> {
  const assembly = devAssembly();

  // Start-up.
  const nodeStarts: number[] = [];
  for (let index = 0; index < STARTS; index += 1) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    nodeStarts.push(performance.now() - started);
  }
  const starts: number[] = [];
  for (let index = 0; index < STARTS; index += 1) {
    const started = performance.now();
    // Through tsx, as `npm start` runs the runner (the tests start a compiled copy of the same sources).
    const cloud = await startLocalCloud(assembly, [], { throughTsx: true });
    starts.push(performance.now() - started);
    await cloud.stop();
  }
  console.log('local cloud: start-up after synth (cached cdk.out, dev)');
  console.log(`  runner ready:      median ${median(starts).toFixed(0)} ms of ${STARTS} starts`);
  console.log(
    `  bare node process: median ${median(nodeStarts).toFixed(0)} ms  (ratio ${(median(starts) / median(nodeStarts)).toFixed(1)}×)`,
  );

  const cloud = await startLocalCloud(assembly);
  try {
    // POST /users round trip, paced under dev's stage throttle (20 requests a second).
    const floorServer = http.createServer((_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', () => resolve()));
    const floorUrl = `http://127.0.0.1:${(floorServer.address() as { port: number }).port}/users`;
    // A caller's token (client credentials, taken once as a client caches it): the authorizer's
    // signature and scope check is part of each round trip, as in AWS.
    const authorization = `Bearer ${await accessToken(cloud.endpoints, scopeNamed(cloud.endpoints, 'users.write'))}`;
    const roundTrip = async (url: string, n: number) => {
      const body = JSON.stringify({ name: 'Bench User', email: `bench-${n}-${Date.now()}@example.com` });
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      await response.text();
      if (response.status !== 201) throw new Error(`POST ${url} answered ${response.status}`);
      return performance.now() - started;
    };
    for (let index = 0; index < 5; index += 1) await roundTrip(`${cloud.endpoints.apiUrl}/users`, -index); // warm
    const api: number[] = [];
    const floor: number[] = [];
    for (let index = 0; index < REQUESTS; index += 1) {
      api.push(await roundTrip(`${cloud.endpoints.apiUrl}/users`, index));
      floor.push(await roundTrip(floorUrl, index));
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    floorServer.close();
    const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)];
    console.log(`local cloud: POST /users round trip (${REQUESTS} requests, warm)`);
    console.log(`  through the local API: median ${median(api).toFixed(1)} ms, p95 ${p95(api).toFixed(1)} ms`);
    console.log(`  bare loopback server:  median ${median(floor).toFixed(2)} ms  (ratio ${(median(api) / median(floor)).toFixed(0)}×)`);

    // Files through S3 → SNS → SQS → Lambda → DynamoDB.
    const { region, credentials } = cloud.endpoints;
    const s3 = localS3Client(cloud.endpoints);
    const dynamo = new DynamoDBClient({ endpoint: cloud.endpoints.gatewayUrl, region, credentials });
    const bucket = cloud.endpoints.uploadsBucket as string;
    const filesTable = Object.entries(cloud.endpoints.tables).find(([name]) => name.endsWith('FilesTable'))?.[1] as string;
    const image = pngImage(640, 480);
    const upload = async (prefix: string) => {
      for (let start = 0; start < FILES; start += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, FILES - start) }, (_, offset) =>
            s3.send(
              new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/bench ${start + offset}.png`, Body: image, ContentType: 'image/png' }),
            ),
          ),
        );
      }
    };
    const baselineStarted = performance.now();
    await upload('bench-baseline'); // no notification for this prefix
    const uploadSeconds = (performance.now() - baselineStarted) / 1000;
    const countRecords = async () => {
      let count = 0;
      let start: Record<string, never> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: filesTable, Select: 'COUNT', ExclusiveStartKey: start }));
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start !== undefined);
      return count;
    };
    const before = await countRecords();
    const chainStarted = performance.now();
    await upload('incoming/bench');
    while ((await countRecords()) < before + FILES) {
      if (performance.now() - chainStarted > 300_000) throw new Error('files did not all arrive within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const chainSeconds = (performance.now() - chainStarted) / 1000;
    console.log(`local cloud: ${FILES} PNG uploads through S3 → SNS → SQS → process-upload → DynamoDB`);
    console.log(`  whole chain:        ${(FILES / chainSeconds).toFixed(1)} files/s (${chainSeconds.toFixed(1)} s until the last record)`);
    console.log(
      `  S3 uploads alone:   ${(FILES / uploadSeconds).toFixed(1)} files/s  (chain at ${((uploadSeconds / chainSeconds) * 100).toFixed(0)}% of the upload rate)`,
    );
    s3.destroy();
    dynamo.destroy();
  } finally {
    await cloud.stop();
  }
}

if (require.main === module) {
  benchLocalCloud().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
