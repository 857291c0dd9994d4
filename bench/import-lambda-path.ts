/**
 * The import pipeline's Lambda path (Validate → Transform → Load), each real handler run
 * in-process against the local engines (s3rver, dynalite), timed step by step: rows per second of
 * each step, for the cost tool's import break-even (tools/cost-estimate/figures.ts).
 *
 * Run alone with `npx tsx bench/import-lambda-path.ts [rows]` (default 20,000 rows).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import type { ImportExecutionInput } from '../lambda/domain/import-job';
import { lambdaContext } from '../test/support/events';
import { useLocalAws } from '../test/support/local-aws-env';
import { createTableFromTemplate, startLocalDynamo } from '../test/support/local-dynamodb';
import { startLocalS3 } from '../test/support/local-s3';
import { statefulStackTemplate } from '../test/support/stateful-tables';

const BUCKET = 'bench-import-lambda';

export interface ImportLambdaPathResult {
  readonly rows: number;
  readonly fileBytes: number;
  /** Seconds each step took for the whole file. */
  readonly seconds: { validate: number; transform: number; load: number };
}

export async function benchImportLambdaPath(rows = 20_000): Promise<ImportLambdaPathResult> {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const [dynamo, s3] = await Promise.all([startLocalDynamo(), startLocalS3([BUCKET])]);
  try {
    useLocalAws({ dynamodb: dynamo.endpoint, s3: s3.endpoint });
    process.env.USERS_TABLE_NAME = await createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
    process.env.UPLOADS_BUCKET_NAME = BUCKET;
    process.env.LARGE_IMPORT_THRESHOLD_BYTES = String(1024 * 1024 * 1024);
    const body = Array.from({ length: rows }, (_, i) =>
      JSON.stringify({
        name: `Bench User ${i}`,
        email: `bench.user.${i}@example.com`,
        ...(i % 3 === 0 ? { phone: `+4477009${String(i).padStart(5, '0')}` } : {}),
      }),
    ).join('\n');
    const key = 'imports/bench.jsonl';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

    // Imported after the environment is set, as Lambda would load them.
    const validate = (await import('../lambda/handlers/import-validate')).handler;
    const transform = (await import('../lambda/handlers/import-transform')).handler;
    const load = (await import('../lambda/handlers/import-load')).handler;
    const input: ImportExecutionInput = { importId: 'bench', bucket: BUCKET, key, submittedAt: new Date().toISOString() };

    const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const result = await run();
      return [result, (performance.now() - started) / 1000];
    };
    const [validation, validateSeconds] = await timed(() => validate(input, lambdaContext('import-validate')));
    const [transformed, transformSeconds] = await timed(() => transform({ ...input, validation }, lambdaContext('import-transform')));
    // Load continues from its checkpoint until done, as the state machine's IsLoadDone loop runs it.
    const [, loadSeconds] = await timed(async () => {
      for (;;) {
        const loaded = await load({ ...input, transform: transformed }, lambdaContext('import-load', 300_000));
        if (loaded.done) return loaded;
      }
    });
    const result = {
      rows,
      fileBytes: Buffer.byteLength(body),
      seconds: { validate: validateSeconds, transform: transformSeconds, load: loadSeconds },
    };
    const rate = (seconds: number) => Math.round(rows / seconds).toLocaleString('en-GB');
    console.log(`import, Lambda path, ${rows.toLocaleString('en-GB')} rows (${(result.fileBytes / 1e6).toFixed(1)} MB JSON Lines)`);
    console.log(`  Validate:  ${validateSeconds.toFixed(2)} s, ${rate(validateSeconds)} rows/s`);
    console.log(`  Transform: ${transformSeconds.toFixed(2)} s, ${rate(transformSeconds)} rows/s`);
    console.log(`  Load:      ${loadSeconds.toFixed(2)} s, ${rate(loadSeconds)} rows/s`);
    return result;
  } finally {
    await Promise.all([dynamo.stop(), s3.stop()]);
  }
}

if (require.main === module) {
  benchImportLambdaPath(Number(process.argv[2] ?? 20_000)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
