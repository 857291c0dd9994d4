/**
 * Requests per second one export-server process answers (GET /healthz: the HTTP stack, routing
 * and a JSON body, no DynamoDB call), over keep-alive connections from this process. With the
 * export's rows per second (bench/containers.ts) it gives the per-task request rate the cost
 * tool's API break-even sizes an ALB + Fargate service with (tools/cost-estimate/figures.ts).
 *
 * Run alone with `npx tsx bench/export-requests.ts [requests] [concurrency]`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startExportServer } from '../containers/worker/src/export-server';

export async function benchExportRequests(total = 20_000, concurrency = 16): Promise<number> {
  // Never called: /healthz answers without DynamoDB.
  const dynamo = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // /healthz is the one path that needs no token, so no token is ever checked here.
  const tokenCheck = { check: () => Promise.reject(new Error('/healthz checks no token')) };
  const server = await startExportServer({ dynamo, usersTable: 'unused', tokenCheck, port: 0, host: '127.0.0.1' });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/healthz`, { agent }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    for (let i = 0; i < 500; i += 1) await get(); // warm-up
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next += 1;
          await get();
        }
      }),
    );
    const rate = total / ((performance.now() - started) / 1000);
    console.log(
      `export server, GET /healthz, ${total.toLocaleString('en-GB')} requests, ${concurrency} in flight: ${Math.round(rate).toLocaleString('en-GB')} requests/s`,
    );
    return rate;
  } finally {
    agent.destroy();
    await server.close();
  }
}

if (require.main === module) {
  benchExportRequests(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 16)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
