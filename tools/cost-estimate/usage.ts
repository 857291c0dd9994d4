import { IMPORT_CHUNK_RECORDS } from '../../lambda/domain/import-job';
import { archOf, estimateStack, exportServiceOnMonthlyUsd, refOf, type Arch, type CostTemplate } from './estimate';
import { FIGURES } from './figures';
import { fixedPrices, HOURS_PER_MONTH, price, type FreeTierKey, type PriceKey, type PriceTable } from './prices';
import type { ApiRoute, UsageProfile } from './profile';
import { countTransitions, stateMachineDefinitions, type StateMachineDefinition } from './state-machine';

export const FLOWS = ['API', 'Uploads', 'Imports', 'Schedules', 'Export', 'Data stored', 'Platform fixed'] as const;
export type Flow = (typeof FLOWS)[number];

/** One priced line: quantity × unit price, at list price (the free tier is never subtracted here). */
export interface CostLine {
  readonly flow: Flow;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  /** USD per one unit of quantity. */
  readonly unitUsd: number;
  /** quantity × unitUsd, unrounded; tables round for display only. */
  readonly usd: number;
  /** Fixed lines cost the same with no traffic; usage lines scale with the profile. */
  readonly kind: 'fixed' | 'usage';
  /** The free-tier allowance the quantity counts against, if any. */
  readonly freeTier?: FreeTierKey;
}

export interface FreeTierUse {
  readonly key: FreeTierKey;
  readonly used: number;
  readonly allowance: number;
  readonly unit: string;
  /** What the allowance would save this month if this environment were the account's only use. */
  readonly worthUsd: number;
  readonly always: boolean;
  readonly note?: string;
}

export interface UsageEstimate {
  readonly environment: string;
  readonly profile: string;
  readonly region: string;
  readonly pricesAsOf: string;
  readonly lines: CostLine[];
  readonly byFlow: Record<Flow, { fixed: number; usage: number; total: number }>;
  /** The sum of every line at list price. */
  readonly totalUsd: number;
  readonly freeTier: FreeTierUse[];
  /** totalUsd less everything the free tier could cover (shown separately, never the headline). */
  readonly totalAfterFreeTierUsd: number;
}

type Resources = Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;

interface LambdaSettings {
  readonly memoryGb: number;
  readonly arch: Arch;
  readonly description: string;
}

/** What the estimate reads from one environment's templates. */
export interface TemplateFacts {
  readonly functions: LambdaSettings[];
  /** The function whose description starts with `prefix`. */
  fn(prefix: string): LambdaSettings;
  readonly largeImportThresholdBytes: number;
  readonly importStateMachine: StateMachineDefinition;
  readonly importJob: TaskSize;
  readonly exportService?: TaskSize & { desiredCount: number };
  readonly usesNat: boolean;
  readonly hasAlb: boolean;
  readonly apiAccessLogs: boolean;
  readonly m2mAppClients: number;
  readonly eventSourceBatchSize: (prefix: string) => number;
  /** Whether the schedule described `prefix...` runs (a DISABLED schedule never invokes). */
  scheduleEnabled(prefix: string): boolean;
}

const lambdaGbSecondKey = (arch: Arch): PriceKey => (arch === 'arm64' ? 'lambdaGbSecondArm64' : 'lambdaGbSecondX86');
const fargateKeys = (arch: Arch) =>
  arch === 'arm64'
    ? ({ vcpu: 'fargateVcpuHourArm64', gb: 'fargateGbHourArm64' } as const)
    : ({ vcpu: 'fargateVcpuHourX86', gb: 'fargateGbHourX86' } as const);

export interface TaskSize {
  readonly vcpu: number;
  readonly memoryGb: number;
  readonly arch: Arch;
  readonly spot: boolean;
}

/** USD per hour of one Fargate task of this size (Spot at the table's Spot factor). */
export function fargateTaskHourUsd(table: PriceTable, task: TaskSize): number {
  const keys = fargateKeys(task.arch);
  return (
    (task.vcpu * price(table, keys.vcpu) + task.memoryGb * price(table, keys.gb)) * (task.spot ? price(table, 'fargateSpotFactor') : 1)
  );
}

function allResources(templates: Record<string, CostTemplate>): Resources {
  return Object.assign({}, ...Object.values(templates).map((template) => template.Resources ?? {})) as Resources;
}

/** Reads the settings the estimate needs from the synthesized templates of one environment. */
export function readTemplateFacts(templates: Record<string, CostTemplate>): TemplateFacts {
  const resources = allResources(templates);
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const functionsById = new Map(
    ofType('AWS::Lambda::Function').map(([id, resource]) => [
      id,
      {
        memoryGb: Number(resource.Properties?.MemorySize ?? 128) / 1024,
        arch: archOf(resource.Properties),
        description: String(resource.Properties?.Description ?? ''),
        environment: (resource.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>,
      },
    ]),
  );
  const functions = [...functionsById.values()];
  const fnEntry = (prefix: string) => {
    const found = [...functionsById.entries()].find(([, settings]) => settings.description.startsWith(prefix));
    if (found === undefined) throw new Error(`No Lambda function described "${prefix}..." in the templates`);
    return found;
  };
  const fn = (prefix: string) => fnEntry(prefix)[1];

  const threshold = Number(fn('Import step 1').environment.LARGE_IMPORT_THRESHOLD_BYTES);
  if (!Number.isFinite(threshold)) throw new Error('The Validate function has no LARGE_IMPORT_THRESHOLD_BYTES');

  const machines = stateMachineDefinitions(resources);
  const importStateMachine = machines.find((definition) => definition.Comment?.startsWith('Bulk import'));
  if (importStateMachine === undefined) throw new Error('No import state machine in the templates');

  const taskSize = (task: Record<string, any> | undefined) => ({
    vcpu: Number(task?.Cpu ?? 256) / 1024,
    memoryGb: Number(task?.Memory ?? 512) / 1024,
    arch: archOf(task),
  });
  const services = ofType('AWS::ECS::Service');
  const serviceTasks = new Set(services.map(([, service]) => refOf(service.Properties?.TaskDefinition)));
  // The import job is the task definition no service runs: the state machine runs it with RunTask.
  const jobTask = ofType('AWS::ECS::TaskDefinition').find(([id]) => !serviceTasks.has(id));
  const runJobState = Object.values(importStateMachine.States).find((state) => String(state.Resource ?? '').includes(':ecs:runTask'));
  const importJob = {
    ...taskSize(jobTask?.[1].Properties),
    spot: JSON.stringify(runJobState?.Parameters ?? {}).includes('FARGATE_SPOT'),
  };
  const [service] = services;
  const exportService =
    service === undefined
      ? undefined
      : {
          ...taskSize(resources[refOf(service[1].Properties?.TaskDefinition) ?? '']?.Properties),
          spot: JSON.stringify(service[1].Properties?.CapacityProviderStrategy ?? '').includes('FARGATE_SPOT'),
          desiredCount: Number(service[1].Properties?.DesiredCount ?? 1),
        };

  const eventSources = ofType('AWS::Lambda::EventSourceMapping');
  const eventSourceBatchSize = (prefix: string) => {
    const [id] = fnEntry(prefix);
    const mapping = eventSources.find(([, resource]) => refOf(resource.Properties?.FunctionName) === id);
    return Number(mapping?.[1].Properties?.BatchSize ?? 10);
  };

  return {
    functions,
    fn,
    largeImportThresholdBytes: threshold,
    importStateMachine,
    importJob,
    exportService,
    usesNat: ofType('AWS::EC2::NatGateway').length > 0,
    hasAlb: ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').length > 0,
    apiAccessLogs: ofType('AWS::ApiGateway::Stage').some(([, stage]) => stage.Properties?.AccessLogSetting !== undefined),
    m2mAppClients: ofType('AWS::Cognito::UserPoolClient').filter(([, client]) =>
      JSON.stringify(client.Properties?.AllowedOAuthFlows ?? []).includes('client_credentials'),
    ).length,
    eventSourceBatchSize,
    scheduleEnabled: (prefix: string) =>
      ofType('AWS::Scheduler::Schedule').some(
        ([, schedule]) => String(schedule.Properties?.Description ?? '').startsWith(prefix) && schedule.Properties?.State !== 'DISABLED',
      ),
  };
}

/** Requests and compute of `invocations` Lambda invocations of `secondsEach` at `memoryMb`, at list price. */
export function lambdaInvocationsUsd(
  table: PriceTable,
  invocations: number,
  memoryMb: number,
  secondsEach: number,
  arch: Arch,
): { requestsUsd: number; computeUsd: number } {
  return {
    requestsUsd: (invocations * price(table, 'lambdaRequestsPerMillion')) / 1e6,
    computeUsd: invocations * secondsEach * (memoryMb / 1024) * price(table, lambdaGbSecondKey(arch)),
  };
}

/** DynamoDB request units per API request, by route (one item of about 200 bytes each). */
const API_REQUEST_UNITS: Record<ApiRoute, { reads: number; writes: number }> = {
  // One page of 20 items of 200 bytes: 4 KB, one read unit.
  'GET /users': { reads: 1, writes: 0 },
  'GET /users/{id}': { reads: 1, writes: 0 },
  // The user, and the day's activity counter.
  'POST /users': { reads: 0, writes: 2 },
  'DELETE /users/{id}': { reads: 0, writes: 1 },
  'GET /imports/{id}': { reads: 1, writes: 0 },
};

/** The function that serves each route, by the start of its description. */
const ROUTE_FUNCTIONS: Record<ApiRoute, string> = {
  'GET /users': 'GET /users',
  'GET /users/{id}': 'GET /users/{id}',
  'POST /users': 'POST /users',
  'DELETE /users/{id}': 'DELETE /users/{id}',
  'GET /imports/{id}': 'GET /imports/{id}',
};

/** Import file rows per S3 working chunk, as the Validate step writes them. */
const IMPORT_CHUNK_ROWS = IMPORT_CHUNK_RECORDS;
const GB = 1e9;

/** Prices one environment's templates under a usage profile, flow by flow. */
export function estimateUsage(
  environment: string,
  templates: Record<string, CostTemplate>,
  profile: UsageProfile,
  table: PriceTable,
): UsageEstimate {
  const facts = readTemplateFacts(templates);
  const p = (key: PriceKey) => price(table, key);
  const lines: CostLine[] = [];
  const add = (
    flow: Flow,
    item: string,
    quantity: number,
    unit: string,
    unitUsd: number,
    kind: CostLine['kind'] = 'usage',
    freeTier?: FreeTierKey,
  ) => {
    lines.push({ flow, item, quantity, unit, unitUsd, usd: quantity * unitUsd, kind, ...(freeTier ? { freeTier } : {}) });
  };
  const perMillion = (key: PriceKey) => p(key) / 1e6;
  const perThousand = (key: PriceKey) => p(key) / 1e3;
  const lambdaCompute = (flow: Flow, item: string, fn: LambdaSettings, seconds: number) =>
    add(
      flow,
      `${item} (${fn.memoryGb * 1024} MB, ${fn.arch})`,
      seconds * fn.memoryGb,
      'GB-s',
      p(lambdaGbSecondKey(fn.arch)),
      'usage',
      'lambdaGbSeconds',
    );
  const lambdaRequests = (flow: Flow, item: string, count: number) =>
    add(flow, item, count, 'requests', perMillion('lambdaRequestsPerMillion'), 'usage', 'lambdaRequests');
  const logs = (flow: Flow, bytes: number) =>
    add(flow, 'CloudWatch Logs ingestion', bytes / GB, 'GB', p('logsIngestionPerGb'), 'usage', 'logsIngestionGb');
  const dynamo = (flow: Flow, reads: number, writes: number) => {
    add(flow, 'DynamoDB on-demand reads', reads, 'read request units', perMillion('dynamoReadPerMillion'));
    add(flow, 'DynamoDB on-demand writes', writes, 'write request units', perMillion('dynamoWritePerMillion'));
  };
  const idleSqsRequests = FIGURES.sqsPollersPerQueue.value * 3 * 60 * HOURS_PER_MONTH;
  /** A flow's queue long-polled by Lambda's pollers while idle: a fixed cost. */
  const idleQueuePolls = (flow: Flow) =>
    add(flow, 'SQS long polls of the idle event source', idleSqsRequests, 'requests', perMillion('sqsPerMillion'), 'fixed', 'sqsRequests');

  // Fixed lines, from the same per-stack estimate as the idle table, each under the flow it serves.
  const fixed = fixedPrices(table);
  for (const [stackId, template] of Object.entries(templates)) {
    for (const item of estimateStack(stackId, template, fixed)) {
      const flow: Flow = /^(Provisioned concurrency|Cognito)/.test(item.item)
        ? 'API'
        : /load balancer|Fargate service|Public IPv4/.test(item.item)
          ? 'Export'
          : 'Platform fixed';
      const freeTier: FreeTierKey | undefined =
        item.item === 'CloudWatch alarm' ? 'alarms' : item.item === 'CloudWatch dashboard' ? 'dashboards' : undefined;
      add(flow, item.item, item.count, 'per month', item.monthlyUsd / item.count, 'fixed', freeTier);
    }
  }

  // API: API Gateway REST → Lambda → DynamoDB, Cognito M2M tokens.
  const api = profile.api;
  add('API', 'API Gateway REST requests', api.requestsPerMonth, 'requests', perMillion('restApiPerMillion'), 'usage', 'restApiRequests');
  lambdaRequests('API', 'Lambda requests', api.requestsPerMonth);
  let reads = 0;
  let writes = 0;
  for (const [route, share] of Object.entries(api.mix) as [ApiRoute, number][]) {
    const requests = api.requestsPerMonth * share;
    lambdaCompute('API', `Lambda compute, ${route}`, facts.fn(ROUTE_FUNCTIONS[route]), requests * FIGURES.apiDurationSeconds.value);
    reads += requests * API_REQUEST_UNITS[route].reads;
    writes += requests * API_REQUEST_UNITS[route].writes;
  }
  dynamo('API', reads, writes);
  logs('API', api.requestsPerMonth * (FIGURES.logBytesPerInvocation.value + (facts.apiAccessLogs ? FIGURES.apiAccessLogBytes.value : 0)));
  // App clients come with the fixed lines above; shown at zero without a user pool, so a team sees the line before one arrives.
  if (facts.m2mAppClients === 0) add('API', 'Cognito M2M app clients', 0, 'app clients', p('cognitoM2mAppClientMonth'), 'fixed');
  add(
    'API',
    'Cognito M2M token requests',
    facts.m2mAppClients > 0 ? api.m2mTokenRequestsPerMonth : 0,
    'token requests',
    perThousand('cognitoM2mTokenPerThousand'),
  );

  // Uploads: S3 PUT → SNS → SQS → ProcessUpload (ranged GET, file record, activity count).
  const uploads = profile.uploads;
  const processUpload = facts.fn('Records each uploaded file');
  const uploadBatch = facts.eventSourceBatchSize('Records each uploaded file');
  const uploadInvocations = Math.ceil(uploads.filesPerMonth / uploadBatch);
  // The size bills nothing per request: transfer in is free and the handler reads only the header.
  add(
    'Uploads',
    `S3 PUT (the upload, ${uploads.averageSizeMB} MB on average) and ranged GET of its header`,
    uploads.filesPerMonth,
    'files',
    perThousand('s3PutPerThousand') + perThousand('s3GetPerThousand'),
  );
  add(
    'Uploads',
    'SNS publishes (S3 event; delivery to SQS is free)',
    uploads.filesPerMonth,
    'publishes',
    perMillion('snsPublishPerMillion'),
    'usage',
    'snsPublishes',
  );
  // Send by SNS, then receive and delete in batches.
  add(
    'Uploads',
    'SQS requests (send, batched receive and delete)',
    uploads.filesPerMonth + 2 * uploadInvocations,
    'requests',
    perMillion('sqsPerMillion'),
    'usage',
    'sqsRequests',
  );
  idleQueuePolls('Uploads');
  lambdaRequests('Uploads', `Lambda requests (batches of ${uploadBatch})`, uploadInvocations);
  lambdaCompute('Uploads', 'Lambda compute, ProcessUpload', processUpload, uploads.filesPerMonth * FIGURES.uploadSecondsPerRecord.value);
  dynamo('Uploads', 0, 2 * uploads.filesPerMonth);
  logs('Uploads', uploadInvocations * FIGURES.logBytesPerInvocation.value);

  // Imports: each file by the path its size takes, transitions counted from the definition.
  idleQueuePolls('Imports');
  for (const { perMonth, rows } of profile.imports.files) {
    if (perMonth === 0) continue;
    const cost = importFileCost(facts, rows, table);
    const label = `${rows.toLocaleString('en-GB')}-row files (${(cost.bytes / 1e6).toFixed(1)} MB, ${cost.path} path)`;
    for (const line of cost.lines)
      add('Imports', `${line.item}, ${label}`, line.quantity * perMonth, line.unit, line.unitUsd, 'usage', line.freeTier);
  }

  // Schedules: EventBridge Scheduler → DailyReport and WeeklyCleanup; a DISABLED schedule (dev) never runs.
  const schedules = profile.schedules;
  const reportRuns = facts.scheduleEnabled('Daily report') ? schedules.reportRunsPerMonth : 0;
  const cleanupRuns = facts.scheduleEnabled('Weekly cleanup') ? schedules.cleanupRunsPerMonth : 0;
  const runs = reportRuns + cleanupRuns;
  add(
    'Schedules',
    `EventBridge Scheduler invocations${runs === 0 ? ' (schedules disabled)' : ''}`,
    runs,
    'invocations',
    perMillion('schedulerPerMillion'),
    'usage',
    'schedulerInvocations',
  );
  lambdaRequests('Schedules', 'Lambda requests', runs);
  lambdaCompute('Schedules', 'Lambda compute, DailyReport', facts.fn('Daily report'), reportRuns * FIGURES.reportDurationSeconds.value);
  lambdaCompute(
    'Schedules',
    'Lambda compute, WeeklyCleanup',
    facts.fn('Weekly cleanup'),
    cleanupRuns * (FIGURES.reportDurationSeconds.value + schedules.cleanupObjectsPerRun / FIGURES.cleanupObjectsPerSecond.value),
  );
  add(
    'Schedules',
    'S3 LIST requests (1,000 keys each) and report PUTs',
    cleanupRuns * Math.ceil(schedules.cleanupObjectsPerRun / 1000) + reportRuns,
    'requests',
    perThousand('s3PutPerThousand'),
  );
  logs('Schedules', runs * FIGURES.logBytesPerInvocation.value);

  // Export: ALB → Fargate service (fixed lines above), Scan of the users table per download.
  const exports = profile.export;
  if (facts.exportService !== undefined && facts.hasAlb) {
    const downloadGb = (exports.usersPerDownload * FIGURES.exportBytesPerRow.value) / GB;
    // The fixed ALB line already pays one LCU every hour; a download above 1 GB in its hour needs more.
    add(
      'Export',
      'ALB LCU-hours above the first (1 GB processed per LCU-hour)',
      exports.downloadsPerMonth * Math.max(0, downloadGb - 1),
      'LCU-hours',
      p('albLcuHour'),
    );
    const scanReadUnits = Math.ceil((exports.usersPerDownload * FIGURES.userItemBytes.value) / 4096) * 0.5;
    add(
      'Export',
      'DynamoDB Scan reads (eventually consistent)',
      exports.downloadsPerMonth * scanReadUnits,
      'read request units',
      perMillion('dynamoReadPerMillion'),
    );
  } else {
    const off = Object.values(templates).find((template) => template.Metadata?.ExportServiceOff !== undefined)?.Metadata?.ExportServiceOff;
    const onUsd = off === undefined ? undefined : exportServiceOnMonthlyUsd(off, fixed);
    add(
      'Export',
      `Export service left out by config${onUsd === undefined ? '' : ` (turning it on adds $${onUsd.toFixed(2)} a month)`}`,
      0,
      'per month',
      0,
      'fixed',
    );
  }

  // Data stored: tables and the uploads bucket, as the profile says.
  add('Data stored', 'DynamoDB storage', profile.storage.tablesGB, 'GB-month', p('dynamoStorageGbMonth'), 'usage', 'dynamoStorageGb');
  add('Data stored', 'S3 Standard storage', profile.storage.bucketGB, 'GB-month', p('s3StorageGbMonth'), 'usage', 's3StorageGb');

  return summarise(environment, profile.name, table, lines);
}

export interface ImportFileCost {
  readonly path: 'Lambda' | 'Fargate';
  readonly bytes: number;
  readonly transitions: number;
  /** Per file. */
  readonly lines: { item: string; quantity: number; unit: string; unitUsd: number; freeTier?: FreeTierKey }[];
  readonly usd: number;
}

/**
 * What one import file of `rows` rows costs on the path its size takes (or on `forcePath`), less
 * what both paths pay alike (the S3 upload, the users written, the StartImport call), which the
 * break-even leaves out and the profile estimate adds in.
 */
export function importFileCost(
  facts: TemplateFacts,
  rows: number,
  table: PriceTable,
  forcePath?: 'Lambda' | 'Fargate',
  commonToo = true,
): ImportFileCost {
  const p = (key: PriceKey) => price(table, key);
  const bytes = rows * FIGURES.importBytesPerRow.value;
  const path = forcePath ?? (bytes > facts.largeImportThresholdBytes ? 'Fargate' : 'Lambda');
  const lines: ImportFileCost['lines'] = [];
  const add = (item: string, quantity: number, unit: string, unitUsd: number, freeTier?: FreeTierKey) =>
    lines.push({ item, quantity, unit, unitUsd, ...(freeTier ? { freeTier } : {}) });
  const compute = (item: string, fn: LambdaSettings, seconds: number) =>
    add(
      `Lambda compute, ${item} (${fn.memoryGb * 1024} MB)`,
      seconds * fn.memoryGb,
      'GB-s',
      p(lambdaGbSecondKey(fn.arch)),
      'lambdaGbSeconds',
    );
  const chunks = Math.ceil(rows / IMPORT_CHUNK_ROWS);
  // The size the Choice state compares, so the walk takes the branch this file would.
  const transitions = countTransitions(facts.importStateMachine, {
    validation: {
      sizeBytes:
        path === 'Fargate' ? Math.max(bytes, facts.largeImportThresholdBytes + 1) : Math.min(bytes, facts.largeImportThresholdBytes),
    },
  });
  add('Step Functions state transitions', transitions, 'transitions', p('sfnTransitionPerThousand') / 1000, 'sfnTransitions');
  const validate = facts.fn('Import step 1');
  const recordOutcome = facts.fn('Records how an import ended');
  if (path === 'Lambda') {
    const transform = facts.fn('Import step 2');
    const load = facts.fn('Import step 3');
    add('Lambda requests (Validate, Transform, Load, RecordOutcome)', 4, 'requests', p('lambdaRequestsPerMillion') / 1e6, 'lambdaRequests');
    compute('Validate', validate, rows / FIGURES.importValidateRowsPerSecond.value);
    compute('Transform', transform, rows / FIGURES.importTransformRowsPerSecond.value);
    compute('Load', load, rows / FIGURES.importLoadRowsPerSecond.value);
    compute('RecordOutcome', recordOutcome, FIGURES.recordOutcomeDurationSeconds.value);
    // Validate writes chunks and a report; Transform reads and writes each; Load reads each and writes a report.
    add('S3 PUTs of working chunks and reports', 2 * chunks + 2, 'requests', p('s3PutPerThousand') / 1000);
    add('S3 GETs of the file and working chunks', 1 + 2 * chunks, 'requests', p('s3GetPerThousand') / 1000);
  } else {
    const job = facts.importJob;
    const taskHour = fargateTaskHourUsd(table, job);
    const seconds = Math.max(60, FIGURES.fargateStartSeconds.value + rows / FIGURES.importWorkerRowsPerSecond.value);
    add(
      `Fargate import job (${job.vcpu} vCPU, ${job.memoryGb} GB, ${job.arch}${job.spot ? ', Spot' : ''})`,
      seconds / 3600,
      'task-hours',
      taskHour,
    );
    add('Lambda requests (Validate, RecordOutcome)', 2, 'requests', p('lambdaRequestsPerMillion') / 1e6, 'lambdaRequests');
    // Validate only reads the object's size before handing the file to the job.
    compute('Validate (size check)', validate, 0.1);
    compute('RecordOutcome', recordOutcome, FIGURES.recordOutcomeDurationSeconds.value);
    add('S3 GET of the file', 1, 'requests', p('s3GetPerThousand') / 1000);
    if (facts.usesNat) add('NAT data processing (image pull)', FIGURES.workerImageGb.value, 'GB', p('natGatewayPerGb'));
  }
  add(
    'CloudWatch Logs ingestion (state machine and functions)',
    (transitions * FIGURES.sfnLogBytesPerTransition.value + 4 * FIGURES.logBytesPerInvocation.value) / GB,
    'GB',
    p('logsIngestionPerGb'),
    'logsIngestionGb',
  );
  if (commonToo) {
    const startImport = facts.fn('Starts one import execution');
    add(
      'S3 PUT of the file, SNS publish, SQS send/receive/delete',
      1,
      'files',
      p('s3PutPerThousand') / 1000 + p('snsPublishPerMillion') / 1e6 + (3 * p('sqsPerMillion')) / 1e6,
    );
    add(
      'Lambda request and compute, StartImport',
      1,
      'invocations',
      p('lambdaRequestsPerMillion') / 1e6 +
        FIGURES.startImportDurationSeconds.value * startImport.memoryGb * p(lambdaGbSecondKey(startImport.arch)),
    );
    // Existence check (BatchGetItem) and BatchWriteItem per row, on either path.
    add(
      'DynamoDB reads (existing emails) and writes (users)',
      rows,
      'rows',
      p('dynamoReadPerMillion') / 1e6 + p('dynamoWritePerMillion') / 1e6,
    );
  }
  return { path, bytes, transitions, lines, usd: lines.reduce((sum, line) => sum + line.quantity * line.unitUsd, 0) };
}

function summarise(environment: string, profile: string, table: PriceTable, lines: CostLine[]): UsageEstimate {
  const byFlow = Object.fromEntries(FLOWS.map((flow) => [flow, { fixed: 0, usage: 0, total: 0 }])) as UsageEstimate['byFlow'];
  for (const line of lines) {
    byFlow[line.flow][line.kind] += line.usd;
    byFlow[line.flow].total += line.usd;
  }
  const totalUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  const freeTier: FreeTierUse[] = [];
  for (const [key, allowance] of Object.entries(table.freeTier) as [FreeTierKey, PriceTable['freeTier'][FreeTierKey]][]) {
    const counted = lines.filter((line) => line.freeTier === key);
    const used = counted.reduce((sum, line) => sum + line.quantity, 0);
    // The allowance is worth the cheapest unit price it can stand in for.
    const unitUsd = counted.length === 0 ? 0 : Math.min(...counted.map((line) => line.unitUsd));
    freeTier.push({
      key,
      used,
      allowance: allowance.amount,
      unit: allowance.unit,
      worthUsd: Math.min(used, allowance.amount) * unitUsd,
      always: allowance.always,
      ...(allowance.note ? { note: allowance.note } : {}),
    });
  }
  const freeWorth = freeTier.reduce((sum, use) => sum + use.worthUsd, 0);
  return {
    environment,
    profile,
    region: table.region,
    pricesAsOf: table.asOf,
    lines,
    byFlow,
    totalUsd,
    freeTier,
    totalAfterFreeTierUsd: totalUsd - freeWorth,
  };
}
