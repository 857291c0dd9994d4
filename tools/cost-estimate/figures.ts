/**
 * What the estimate cannot read from a template: how long our code runs and how fast it goes.
 * Every figure says where it comes from. "measured" figures are this repository's benchmarks
 * (bench/), run on a shared 2-core machine against local engines (dynalite, s3rver): they
 * understate what real DynamoDB and S3 sustain in parallel and overstate per-call latency, so the
 * rates are conservative for both paths alike. "assumed" figures have no benchmark behind them.
 */
export interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly source: string;
}

const CONTAINERS_BENCH =
  'measured 2026-11-30: `npx tsx -e "require(\'./bench/containers\').runContainersBench({importRecords: 20000, exportSizes: [5000, 20000], rounds: 1})"`';
const LAMBDA_PATH_BENCH = 'measured 2026-11-30: `npx tsx bench/import-lambda-path.ts 20000` (real handlers in-process, dynalite + s3rver)';

export const FIGURES = {
  /** Users API handlers: one DynamoDB call and a JSON body. */
  apiDurationSeconds: {
    value: 0.05,
    unit: 's billed per API invocation (warm)',
    source:
      'assumed: one DynamoDB round trip (single-digit ms in-region) plus JSON and Powertools logging; the same 50 ms the fixed estimate has always used. No benchmark of the users API exists (local dynalite latency is not representative).',
  },
  startImportDurationSeconds: { value: 0.1, unit: 's per StartImport invocation', source: 'assumed: one PutItem and one StartExecution' },
  recordOutcomeDurationSeconds: { value: 0.05, unit: 's per RecordOutcome invocation', source: 'assumed: one or two UpdateItem calls' },
  /** ProcessUpload: ranged GetObject + conditional PutItem + activity count per record. */
  uploadSecondsPerRecord: {
    value: 1 / 225,
    unit: 's per uploaded file inside a batch of 10 (225 records/s)',
    source: 'measured 2026-11-30: `BENCH_OBJECTS=500 BENCH_ROUNDS=1 npx tsx bench/index.ts uploads` (real handler, dynalite + s3rver)',
  },
  reportDurationSeconds: {
    value: 1,
    unit: 's per DailyReport run (and the fixed part of a cleanup run)',
    source: 'assumed: a few reads, one S3 PUT, one SNS publish',
  },
  cleanupObjectsPerSecond: {
    value: 1_000,
    unit: 'objects examined per second by WeeklyCleanup',
    source: 'assumed: one LIST page of 1,000 keys and a batch delete per second',
  },
  importValidateRowsPerSecond: { value: 15_442, unit: 'rows/s (Validate, 1024 MB)', source: LAMBDA_PATH_BENCH },
  importTransformRowsPerSecond: { value: 49_065, unit: 'rows/s (Transform, 512 MB)', source: LAMBDA_PATH_BENCH },
  importLoadRowsPerSecond: {
    value: 1_291,
    unit: 'rows/s (Load, 1769 MB; the import engine: one conditional PutItem per row, 32 in flight)',
    source:
      'measured 2026-11-30: `npm run bench import-load` (real handler, DynamoDB answered in-process: the CPU cost per row; machine under load)',
  },
  importWorkerRowsPerSecond: {
    value: 1_749,
    unit: 'rows/s (Fargate import job, whole job, 8 requests in flight)',
    source: CONTAINERS_BENCH,
  },
  importBytesPerRow: {
    value: 75,
    unit: 'bytes per JSON Lines row (name, email, a phone on one row in three)',
    source: LAMBDA_PATH_BENCH + ': 20,000 rows = 1.5 MB',
  },
  /** Seconds a Fargate task is billed before it reads the first row (image pull, start). */
  fargateStartSeconds: {
    value: 60,
    unit: 's billed per import job before work starts',
    source: "assumed: image pull and container start of a Node image; Fargate's one-minute minimum charge",
  },
  workerImageGb: {
    value: 0.15,
    unit: 'GB pulled per task start (through NAT where tasks run in private subnets)',
    source: 'assumed: compressed size of a Node 22 slim image with the worker bundle',
  },
  exportRowsPerSecond: { value: 12_105, unit: 'rows/s (export server, 20,000 users)', source: CONTAINERS_BENCH },
  exportBytesPerRow: {
    value: 90,
    unit: 'bytes per CSV row',
    source: 'assumed from the export columns (id, name, email, phone, createdAt)',
  },
  /** HTTP requests one export-server process answers, without a DynamoDB call. */
  exportServerRequestsPerSecond: {
    value: 3_585,
    unit: 'requests/s (GET /healthz, 16 keep-alive connections)',
    source: 'measured 2026-11-30: `npx tsx bench/export-requests.ts` (client in the same process, machine under load)',
  },
  /** Fraction of a task's measured rate the break-even plans for. */
  taskHeadroom: {
    value: 0.5,
    unit: 'of the measured per-task rate',
    source: 'assumed: room for spikes, garbage collection and a slower real network',
  },
  minimumTasks: { value: 2, unit: 'tasks', source: 'assumed: two tasks in two zones for availability' },
  newConnectionsPerRequest: {
    value: 1,
    unit: 'new ALB connections per API request',
    source: 'assumed: public API callers rarely reuse a connection across calls (worst case for the ALB)',
  },
  responseBytes: { value: 1_024, unit: 'bytes per API response through the ALB', source: 'assumed' },
  logBytesPerInvocation: {
    value: 1_000,
    unit: 'bytes of CloudWatch Logs per Lambda invocation',
    source: 'assumed: START/END/REPORT lines (about 300 bytes) plus one structured Powertools line',
  },
  apiAccessLogBytes: { value: 600, unit: 'bytes of API Gateway access log per request', source: 'assumed: jsonWithStandardFields line' },
  sfnLogBytesPerTransition: { value: 400, unit: 'bytes per state-machine log event (level ALL, no data)', source: 'assumed' },
  userItemBytes: { value: 200, unit: 'bytes per users-table item', source: 'assumed from the user schema' },
  listPageItems: { value: 20, unit: 'items per GET /users page', source: 'assumed default page size' },
  sqsPollersPerQueue: {
    value: 5,
    unit: 'long polls in flight per queue event source while idle',
    source: "assumed: Lambda's SQS event source keeps about five pollers, each a 20 s long poll",
  },
} as const satisfies Record<string, Figure>;

/**
 * Rows per second one export-service task serves as API requests: the HTTP stack (measured
 * requests/s) plus one item read and serialised (measured export rows/s), one after the other on
 * one core. Node uses one core, so tasks above 1 vCPU gain nothing; smaller tasks get their share.
 */
export function perTaskRequestsPerSecond(taskVcpu: number): number {
  const secondsPerRequest = 1 / FIGURES.exportServerRequestsPerSecond.value + 1 / FIGURES.exportRowsPerSecond.value;
  return (1 / secondsPerRequest) * Math.min(taskVcpu, 1);
}
