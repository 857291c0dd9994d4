import type { CostTemplate } from './estimate';
import { FIGURES, perTaskRequestsPerSecond } from './figures';
import { HOURS_PER_MONTH, price, SECONDS_PER_MONTH, type PriceTable } from './prices';
import type { ApiRoute, UsageProfile } from './profile';
import { estimateUsage, fargateTaskHourUsd, importFileCost, readTemplateFacts, type TaskSize, type TemplateFacts } from './usage';

/**
 * The essay's question for the users API: above what sustained request rate does an ALB in front
 * of Fargate tasks cost less than API Gateway REST + Lambda? Both serve the same requests against
 * the same table, so what both pay alike (DynamoDB, logs, data transfer) is left out of both.
 */
export interface ApiModel {
  /** Lambda side: what it pays with no traffic (provisioned concurrency, from the template). */
  readonly lambdaFixedUsd: number;
  /** Lambda side: API Gateway + Lambda request + compute per request. */
  readonly lambdaPerRequestUsd: number;
  /** Container side: the load balancer's hours. */
  readonly albMonthUsd: number;
  /** Container side: one task for a month. */
  readonly taskMonthUsd: number;
  readonly task: TaskSize;
  /** Requests per second one task is planned for (measured rate × headroom). */
  readonly plannedRequestsPerTask: number;
  readonly minimumTasks: number;
  /** LCU-hour price × LCUs per request/s. */
  readonly lcuMonthUsdPerRequestPerSecond: number;
}

export function apiModel(
  facts: TemplateFacts,
  templates: Record<string, CostTemplate>,
  profile: UsageProfile,
  table: PriceTable,
): ApiModel {
  const p = (key: Parameters<typeof price>[1]) => price(table, key);
  let computePerRequest = 0;
  for (const [route, share] of Object.entries(profile.api.mix) as [ApiRoute, number][]) {
    const fn = facts.fn(route);
    computePerRequest +=
      share * FIGURES.apiDurationSeconds.value * fn.memoryGb * p(fn.arch === 'arm64' ? 'lambdaGbSecondArm64' : 'lambdaGbSecondX86');
  }
  const idle = estimateUsage('breakeven', templates, { ...profile, api: { ...profile.api, requestsPerMonth: 0 } }, table);
  const provisioned = idle.lines
    .filter((line) => line.flow === 'API' && line.item.startsWith('Provisioned concurrency'))
    .reduce((sum, line) => sum + line.usd, 0);
  // Sized like the export service, which runs the same worker image; on demand, two zones.
  const task: TaskSize = facts.exportService
    ? { ...facts.exportService, spot: false }
    : { vcpu: 1, memoryGb: 2, arch: 'arm64', spot: false };
  const lcuPerRequestPerSecond = Math.max(
    FIGURES.newConnectionsPerRequest.value / 25,
    (FIGURES.responseBytes.value * 3600) / 1e9, // GB processed per hour, 1 GB per LCU
    1 / 1000, // one rule evaluation per request, 1,000 per LCU
  );
  return {
    lambdaFixedUsd: provisioned,
    lambdaPerRequestUsd: p('restApiPerMillion') / 1e6 + p('lambdaRequestsPerMillion') / 1e6 + computePerRequest,
    albMonthUsd: p('albHour') * HOURS_PER_MONTH,
    taskMonthUsd: fargateTaskHourUsd(table, task) * HOURS_PER_MONTH,
    task,
    plannedRequestsPerTask: perTaskRequestsPerSecond(task.vcpu) * FIGURES.taskHeadroom.value,
    minimumTasks: FIGURES.minimumTasks.value,
    lcuMonthUsdPerRequestPerSecond: lcuPerRequestPerSecond * p('albLcuHour') * HOURS_PER_MONTH,
  };
}

/** API Gateway + Lambda, per month, at a sustained rate. */
export function lambdaMonthlyUsd(model: ApiModel, requestsPerSecond: number): number {
  return model.lambdaFixedUsd + requestsPerSecond * SECONDS_PER_MONTH * model.lambdaPerRequestUsd;
}

export function tasksNeeded(model: ApiModel, requestsPerSecond: number): number {
  return Math.max(model.minimumTasks, Math.ceil(requestsPerSecond / model.plannedRequestsPerTask));
}

/** ALB + Fargate, per month, at a sustained rate. */
export function containersMonthlyUsd(model: ApiModel, requestsPerSecond: number): number {
  return (
    model.albMonthUsd +
    requestsPerSecond * model.lcuMonthUsdPerRequestPerSecond +
    tasksNeeded(model, requestsPerSecond) * model.taskMonthUsd
  );
}

/**
 * The lowest sustained rate at which containers cost no more than Lambda. The container cost is a
 * straight line per task count, so the crossing is solved on each step in turn.
 */
export function apiBreakEven(model: ApiModel): number | undefined {
  const lambdaSlope = SECONDS_PER_MONTH * model.lambdaPerRequestUsd;
  for (let tasks = model.minimumTasks; tasks < 100_000; tasks += 1) {
    const low = tasks === model.minimumTasks ? 0 : (tasks - 1) * model.plannedRequestsPerTask;
    const high = tasks * model.plannedRequestsPerTask;
    const containerBase = model.albMonthUsd + tasks * model.taskMonthUsd;
    const slopeGap = lambdaSlope - model.lcuMonthUsdPerRequestPerSecond;
    if (slopeGap <= 0) continue;
    const rate = Math.max(low, (containerBase - model.lambdaFixedUsd) / slopeGap);
    if (rate <= high) return rate;
  }
  return undefined;
}

/** The import question: above what file size does the Fargate job cost less than the Lambda steps? */
export interface ImportBreakEven {
  /** Rows at which both paths cost the same, if the Fargate path ever costs less. */
  readonly rows?: number;
  readonly bytes?: number;
  /** The largest file the Lambda path can take at the measured rates before a step times out. */
  readonly lambdaLimitRows: number;
  readonly lambdaLimitBytes: number;
  readonly configuredThresholdBytes: number;
  readonly job: TaskSize;
  readonly usdAt: (rows: number) => { lambda: number; fargate: number };
}

export function importBreakEven(
  facts: TemplateFacts,
  table: PriceTable,
  timeouts: { validate: number; transform: number; load: number },
): ImportBreakEven {
  const usdAt = (rows: number) => ({
    lambda: importFileCost(facts, rows, table, 'Lambda', false).usd,
    fargate: importFileCost(facts, rows, table, 'Fargate', false).usd,
  });
  const gap = (rows: number) => usdAt(rows).lambda - usdAt(rows).fargate;
  let rows: number | undefined;
  let low = 1;
  let high = 1e10;
  if (gap(low) >= 0) rows = low;
  else if (gap(high) > 0) {
    for (let step = 0; step < 200 && high - low > 0.5; step += 1) {
      const mid = (low + high) / 2;
      if (gap(mid) > 0) high = mid;
      else low = mid;
    }
    rows = high;
  }
  // Validate and Transform each read the whole file in one invocation, so their timeouts cap the
  // Lambda path. Load does not: it checkpoints and runs again (the IsLoadDone loop) until done.
  const lambdaLimitRows = Math.min(
    FIGURES.importValidateRowsPerSecond.value * timeouts.validate,
    FIGURES.importTransformRowsPerSecond.value * timeouts.transform,
  );
  return {
    ...(rows === undefined ? {} : { rows, bytes: rows * FIGURES.importBytesPerRow.value }),
    lambdaLimitRows,
    lambdaLimitBytes: lambdaLimitRows * FIGURES.importBytesPerRow.value,
    configuredThresholdBytes: facts.largeImportThresholdBytes,
    job: facts.importJob,
    usdAt,
  };
}

/** The import steps' timeouts, in seconds, from the templates. */
export function importStepTimeouts(templates: Record<string, CostTemplate>): { validate: number; transform: number; load: number } {
  const functions = Object.values(templates).flatMap((template) =>
    Object.values(template.Resources ?? {}).filter((resource) => resource.Type === 'AWS::Lambda::Function'),
  );
  const timeout = (prefix: string) =>
    Number(functions.find((fn) => String(fn.Properties?.Description ?? '').startsWith(prefix))?.Properties?.Timeout ?? 3);
  return { validate: timeout('Import step 1'), transform: timeout('Import step 2'), load: timeout('Import step 3') };
}

export interface BreakEvenReport {
  readonly api: ApiModel;
  readonly apiRequestsPerSecond?: number;
  readonly imports: ImportBreakEven;
}

export function breakEven(templates: Record<string, CostTemplate>, profile: UsageProfile, table: PriceTable): BreakEvenReport {
  const facts = readTemplateFacts(templates);
  const api = apiModel(facts, templates, profile, table);
  return { api, apiRequestsPerSecond: apiBreakEven(api), imports: importBreakEven(facts, table, importStepTimeouts(templates)) };
}
