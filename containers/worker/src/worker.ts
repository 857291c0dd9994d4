import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BearerTokenCheck, tokenCheckSettingsFrom } from './auth';
import { SDK_HTTP_TIMEOUTS } from '../../../lambda/shared/clients/http-timeouts';
import { startExportServer, type RunningServer } from './export-server';
import { importFormatOf, type ImportFormat } from '../../../lambda/domain/import-file';
import { IMPORT_CHUNK_SIZE_VARIABLE } from '../../../lambda/domain/import-job';
import { ImportCheckpointsStore } from '../../../lambda/store/import-checkpoints-store';
import { runImport, ImportStoppedError } from './import-job';

/**
 * The worker image's entry point: `node dist/worker.js import` runs one import job and exits
 * (0 when the file is loaded, 1 when the job failed, 75 when it was stopped (SIGTERM, its
 * deadline) with its checkpoint written: Step Functions' RUN_JOB fails on any non-zero code and
 * its Retry resumes from the checkpoint),
 * `node dist/worker.js serve` runs the export server until SIGTERM.
 *
 * Everything comes from the environment the task definition sets (and, for an import, the
 * container overrides of RunTask). `main` takes the environment as a parameter so tests can run it
 * in-process; the same code runs in the container.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Environment variable ${name} is not set`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`Environment variable ${name} must be a positive whole number`);
  return value;
}

/**
 * SDK clients. Endpoints follow the SDK's standard variables (AWS_ENDPOINT_URL_S3, ...); a custom
 * S3 endpoint is a local engine, which needs path-style addressing.
 */
function clients(env: Env) {
  return {
    // The Lambdas' timeouts: a stalled call fails and is retried instead of holding the job.
    dynamo: new DynamoDBClient({ requestHandler: SDK_HTTP_TIMEOUTS }),
    s3: new S3Client({
      requestHandler: SDK_HTTP_TIMEOUTS,
      forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined && env.AWS_ENDPOINT_URL_S3 !== '',
    }),
  };
}

export interface MainHooks {
  /** Receives the export server once it listens (tests use it to learn the port). */
  readonly onListening?: (server: RunningServer) => void;
  /** Stops the command: the import at its next chunk, the server gracefully. @default SIGTERM/SIGINT */
  readonly stopSignal?: AbortSignal;
}

export async function main(argv: readonly string[], env: Env, hooks: MainHooks = {}): Promise<number> {
  const command = argv[0];
  const logger = new Logger({ serviceName: `worker-${command ?? 'unknown'}` });
  const stop = hooks.stopSignal ?? processStopSignal(logger);
  try {
    if (command === 'import') return await importCommand(env, logger, stop);
    if (command === 'serve') return await serveCommand(env, logger, stop, hooks);
    logger.error('Unknown command; expected "import" or "serve"', { argv });
    return 64; // EX_USAGE
  } catch (error) {
    logger.error('The worker failed', error as Error);
    return 1;
  }
}

async function importCommand(env: Env, logger: Logger, stop: AbortSignal): Promise<number> {
  const bucket = required(env, 'IMPORT_BUCKET');
  const key = required(env, 'IMPORT_KEY');
  // The version the import is for; empty or absent reads the current version.
  const versionId = env.IMPORT_VERSION_ID || undefined;
  const importId = env.IMPORT_ID || key;
  const format = (env.IMPORT_FORMAT || importFormatOf(key)) as ImportFormat;
  if (format !== 'jsonl' && format !== 'csv')
    throw new ConfigurationError(`IMPORT_FORMAT must be jsonl or csv, not ${JSON.stringify(format)}`);
  // The import's own time (the Lambda path's createdAt too), so both paths stamp users alike.
  const submittedAt = env.IMPORT_SUBMITTED_AT ? new Date(env.IMPORT_SUBMITTED_AT) : undefined;
  if (submittedAt !== undefined && Number.isNaN(submittedAt.getTime())) {
    throw new ConfigurationError('Environment variable IMPORT_SUBMITTED_AT must be an ISO 8601 time');
  }
  const usersTable = required(env, 'USERS_TABLE_NAME');
  const checkpointsTable = required(env, 'CHECKPOINTS_TABLE_NAME');
  const timeoutSeconds = positiveInt(env, 'JOB_TIMEOUT_SECONDS', 24 * 3600);

  // The job stops itself at its deadline, between chunks, so the last checkpoint is consistent.
  const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutSeconds * 1000)]);
  const { s3, dynamo } = clients(env);
  logger.appendKeys({ importId });
  logger.info('Import started', { bucket, key, versionId, format });
  try {
    const result = await runImport({
      s3,
      dynamo,
      bucket,
      key,
      versionId,
      importId,
      format,
      usersTable,
      checkpointsTable,
      chunkSize: env[IMPORT_CHUNK_SIZE_VARIABLE] ? positiveInt(env, IMPORT_CHUNK_SIZE_VARIABLE, 1) : undefined,
      concurrency: env.IMPORT_CONCURRENCY ? positiveInt(env, 'IMPORT_CONCURRENCY', 1) : undefined,
      signal,
      log: (message, details) => logger.info(message, details),
      now: submittedAt === undefined ? undefined : () => submittedAt,
    });
    const { problems, ...counts } = result;
    if (result.status === 'STOPPED') {
      const reason = String(new ImportStoppedError(`stopped after line ${result.lastLine} (${String(signal.reason)})`));
      await checkpointsOf(dynamo, checkpointsTable).markFailed(importId, reason);
      logger.warn('Import stopped; a new attempt resumes from the checkpoint', { ...counts, reportedProblems: problems.length });
      return EXIT_STOPPED;
    }
    logger.info(result.alreadyDone ? 'Import had already succeeded' : 'Import succeeded', {
      ...counts,
      reportedProblems: problems.length,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    return 0;
  } catch (error) {
    // `<ErrorName>: <message>`: the record-outcome step shows it as the failed import's message.
    const reason = String(error);
    await checkpointsOf(dynamo, checkpointsTable)
      .markFailed(importId, reason)
      .catch((markError: unknown) => logger.warn('Could not mark the import failed', { error: String(markError) }));
    throw error;
  } finally {
    s3.destroy();
    dynamo.destroy();
  }
}

/** EX_TEMPFAIL: stopped on request with its checkpoint written; a new attempt resumes. */
export const EXIT_STOPPED = 75;

function checkpointsOf(dynamo: DynamoDBClient, table: string): ImportCheckpointsStore {
  return new ImportCheckpointsStore(DynamoDBDocumentClient.from(dynamo), table);
}

async function serveCommand(env: Env, logger: Logger, stop: AbortSignal, hooks: MainHooks): Promise<number> {
  const { dynamo } = clients(env);
  const running = await startExportServer({
    dynamo,
    usersTable: required(env, 'USERS_TABLE_NAME'),
    port: Number(env.PORT ?? 8080),
    pageSize: positiveInt(env, 'EXPORT_PAGE_SIZE', 1000),
    tokenCheck: new BearerTokenCheck(tokenCheckSettingsFrom(env)),
    log: (message, details) => logger.info(message, details),
  });
  logger.info('Export server listening', { url: running.url });
  hooks.onListening?.(running);
  if (!stop.aborted) await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
  // ECS sends SIGTERM after the ALB has deregistered the task: finish what is in flight, then exit.
  logger.info('Export server stopping');
  await running.close();
  dynamo.destroy();
  // Peak memory of the whole run: the export's memory must not grow with the number of users.
  logger.info('Export server stopped', { maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) });
  return 0;
}

function processStopSignal(logger: Logger): AbortSignal {
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.once(name, () => {
      logger.warn('Stop signal received', { signal: name });
      controller.abort(new Error(`received ${name}`));
    });
  }
  return controller.signal;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
