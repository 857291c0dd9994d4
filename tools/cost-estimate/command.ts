import * as path from 'node:path';
import { breakEven, containersMonthlyUsd, lambdaMonthlyUsd, type BreakEvenReport } from './breakeven';
import { breakEvenSvg, terminalPlot, type ChartInput } from './chart';
import { estimateEnvironments, toMarkdown, type CostTemplate } from './estimate';
import { FIGURES } from './figures';
import { DEFAULT_REGION, pricesFor, PRICES_AS_OF, SECONDS_PER_MONTH, type PriceTable } from './prices';
import { loadProfile, PROFILE_NAMES, type UsageProfile } from './profile';
import { usageMarkdown } from './report';
import { estimateUsage, type UsageEstimate } from './usage';

export interface CostOptions {
  /** The environment the profile or break-even is for. @default 'prod' */
  readonly env?: string;
  /** A shipped profile name or a profile file path. */
  readonly profile?: string;
  readonly breakeven?: boolean;
  /** Where --breakeven writes its chart. @default 'docs/breakeven.svg' for prod, eu-west-1 and growth; `docs/breakeven-<env>-<region>-<profile>.svg` otherwise */
  readonly chart?: string;
  /** Price table region. @default the region of the environment's stacks, else eu-west-1 */
  readonly region?: string;
}

export interface CostOutput {
  readonly text: string;
  /** Files to write: path → content. */
  readonly files: Record<string, string>;
  readonly usage?: UsageEstimate;
  readonly breakEven?: BreakEvenReport;
}

/** Parses the CLI's arguments (`--env prod --profile growth --breakeven --chart out.svg --region us-east-1`). */
export function parseCostArgs(argv: readonly string[]): CostOptions & { assembly: string; out?: string } {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    if (index < 0) return undefined;
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('--')) throw new Error(`${name} needs a value`);
    return next;
  };
  return {
    assembly: value('--assembly') ?? 'cdk.out',
    out: value('--out'),
    env: value('--env'),
    profile: value('--profile'),
    region: value('--region'),
    chart: value('--chart'),
    breakeven: argv.includes('--breakeven'),
  };
}

function templatesOf(templates: Record<string, CostTemplate>, env: string): Record<string, CostTemplate> {
  const selected = Object.fromEntries(Object.entries(templates).filter(([stackId]) => stackId.startsWith(`${env}/`)));
  if (Object.keys(selected).length === 0) {
    const known = [...new Set(Object.keys(templates).map((stackId) => stackId.split('/')[0]))];
    throw new Error(`No stacks of environment ${env} in the assembly (it has ${known.join(', ') || 'none'})`);
  }
  return selected;
}

/** The import chart sits next to the API chart: docs/breakeven.svg → docs/breakeven-imports.svg. */
export const importsChartPath = (chartPath: string) => chartPath.replace(/(\.svg)?$/, '-imports.svg');

const usd = (value: number) => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Average request rate of a profile, for the chart's markers. */
const averageRate = (profile: UsageProfile) => profile.api.requestsPerMonth / SECONDS_PER_MONTH;

export function breakEvenChart(report: BreakEvenReport, env: string, table: PriceTable): ChartInput {
  const { api } = report;
  const task = `${api.task.vcpu} vCPU / ${api.task.memoryGb} GB ${api.task.arch}`;
  return {
    title: 'Users API: API Gateway + Lambda against ALB + Fargate',
    subtitle: `${env}, ${table.region} list prices of ${table.asOf}; DynamoDB, logs and data transfer cost the same either way and are left out`,
    lambda: { label: 'API Gateway REST\n+ Lambda', color: '#d9480f', usdAt: (rate) => lambdaMonthlyUsd(api, rate) },
    containers: {
      label: `ALB + Fargate\n${task}\nat least ${api.minimumTasks} tasks`,
      color: '#1c7ed6',
      usdAt: (rate) => containersMonthlyUsd(api, rate),
    },
    crossing: report.apiRequestsPerSecond,
    markers: PROFILE_NAMES.filter((name) => name !== 'idle').map((name) => ({
      label: name,
      requestsPerSecond: averageRate(loadProfile(name)),
    })),
    minRate: 0.01,
    maxRate: 1000,
  };
}

/** Cost per file against file size for the two import paths, with the Lambda path's limit shaded. */
export function importBreakEvenChart(report: BreakEvenReport, env: string, table: PriceTable): ChartInput {
  const { imports } = report;
  const rowsOf = (mb: number) => (mb * 1e6) / FIGURES.importBytesPerRow.value;
  const job = `${imports.job.vcpu} vCPU / ${imports.job.memoryGb} GB ${imports.job.arch}${imports.job.spot ? ' Spot' : ''}`;
  return {
    title: 'Imports: Lambda steps against the Fargate job, per file',
    subtitle: `${env}, ${table.region} list prices of ${table.asOf}; the upload, queue and users written cost the same either way and are left out`,
    lambda: { label: 'Validate → Transform\n→ Load (Lambda)', color: '#d9480f', usdAt: (mb) => imports.usdAt(rowsOf(mb)).lambda },
    containers: { label: `Fargate import job\n${job}`, color: '#1c7ed6', usdAt: (mb) => imports.usdAt(rowsOf(mb)).fargate },
    crossing: imports.bytes === undefined ? undefined : imports.bytes / 1e6,
    markers: [
      {
        label: `threshold ${(imports.configuredThresholdBytes / 1e6).toFixed(1)} MB`,
        requestsPerSecond: imports.configuredThresholdBytes / 1e6,
      },
    ],
    minRate: 0.1,
    maxRate: 1000,
    xAxis: {
      label: `file size in MB (${FIGURES.importBytesPerRow.value} bytes a row), log scale`,
      unit: 'MB',
      tick: (mb) => `${mb >= 1 ? mb.toLocaleString('en-US') : mb} MB`,
    },
    yUnit: 'USD per file',
    crossingNote: (mb, usd) => `${Math.round(rowsOf(mb)).toLocaleString('en-US')} rows, $${usd.toFixed(3)} a file each`,
    limit: {
      from: imports.lambdaLimitBytes / 1e6,
      label: `Lambda steps time out\nabove ${(imports.lambdaLimitBytes / 1e6).toFixed(1)} MB`,
    },
    markerLegend: ['config: larger files', 'go to Fargate'],
  };
}

function breakEvenText(report: BreakEvenReport, env: string, table: PriceTable, chartPath: string): string {
  const { api, imports } = report;
  const lines = [
    `# Break-even, ${env} (${table.region} list prices of ${table.asOf})`,
    '',
    '## Users API: API Gateway REST + Lambda, or ALB + Fargate?',
    '',
  ];
  if (report.apiRequestsPerSecond === undefined) {
    lines.push("ALB + Fargate never costs less than API Gateway + Lambda at any rate up to the model's limit.");
  } else {
    const rate = report.apiRequestsPerSecond;
    lines.push(
      `Above **${rate.toFixed(2)} requests/s sustained** (${Math.round(rate * SECONDS_PER_MONTH).toLocaleString('en-GB')} requests a month), ALB + Fargate costs less; both cost ${usd(lambdaMonthlyUsd(api, rate))} a month there.`,
    );
  }
  lines.push(
    '',
    `- API Gateway + Lambda: ${usd(api.lambdaFixedUsd)} a month fixed (provisioned concurrency) + ${usd(api.lambdaPerRequestUsd * 1e6)} per million requests (REST API, Lambda request, ${"compute at the template's memory and architecture"}).`,
    `- ALB + Fargate: ALB ${usd(api.albMonthUsd)} a month + LCUs ${usd(api.lcuMonthUsdPerRequestPerSecond)} a month per request/s + ${usd(api.taskMonthUsd)} a month per task (${api.task.vcpu} vCPU, ${api.task.memoryGb} GB, ${api.task.arch}, on demand), tasks = max(${api.minimumTasks}, ceil(rate / ${api.plannedRequestsPerTask.toFixed(0)})) (measured per-task rate × headroom, see figures).`,
    '',
    '```',
    terminalPlot(breakEvenChart(report, env, table)),
    '```',
    '',
    `Charts: ${chartPath} and ${importsChartPath(chartPath)}`,
    '',
    '## Imports: the Lambda steps, or the Fargate job?',
    '',
  );
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const job = `${imports.job.vcpu} vCPU, ${imports.job.memoryGb} GB, ${imports.job.arch}${imports.job.spot ? ', Spot' : ', on demand'}`;
  if (imports.rows === undefined) {
    lines.push(`The Fargate job (${job}) never costs less than the Lambda steps for one file.`);
  } else {
    const at = imports.usdAt(imports.rows);
    lines.push(
      `Above **${mb(imports.bytes ?? 0)}** (${Math.round(imports.rows).toLocaleString('en-GB')} rows) the Fargate job (${job}) costs less than Validate → Transform → Load; both cost ${usd(at.lambda)} per file there.`,
    );
  }
  lines.push(
    `The Lambda steps cannot take more than ${mb(imports.lambdaLimitBytes)} (${Math.round(imports.lambdaLimitRows).toLocaleString('en-GB')} rows) at the measured rates before a step reaches its timeout; the configured threshold sends files above ${mb(imports.configuredThresholdBytes)} to Fargate.`,
    imports.rows !== undefined && (imports.bytes ?? 0) > imports.configuredThresholdBytes
      ? imports.lambdaLimitBytes < (imports.bytes ?? 0)
        ? `Between the threshold and the cost break-even the Fargate path costs more than Lambda would, and above ${mb(imports.lambdaLimitBytes)} Lambda cannot finish in time.`
        : "Between the threshold and the cost break-even the Fargate path costs a little more than Lambda would: the threshold comes from Load's time per invocation, not from cost."
      : 'Every file the threshold sends to Fargate is also cheaper there.',
    '',
    'What both paths pay alike (the upload, SQS, StartImport, the users written) is left out of both.',
  );
  return lines.join('\n');
}

/** The run whose charts docs/decisions.md shows: `npm run cost -- --breakeven` with every default. */
const DOCUMENTED_CHART_RUN = { env: 'prod', region: DEFAULT_REGION, profile: 'growth' };

/**
 * Where --breakeven writes its charts when --chart is not given: the committed docs/breakeven.svg
 * for the run docs/decisions.md shows, and a name of its own for any other environment, region or
 * profile, so a look at dev or at us-east-1 never overwrites the documented charts.
 */
function defaultChartPath(env: string, region: string, profile: string): string {
  const profileName = path.basename(profile, '.json');
  const { env: documentedEnv, region: documentedRegion, profile: documentedProfile } = DOCUMENTED_CHART_RUN;
  if (env === documentedEnv && region === documentedRegion && profileName === documentedProfile) return 'docs/breakeven.svg';
  return `docs/breakeven-${env}-${region}-${profileName}.svg`;
}

/** What `npm run cost` prints and writes, from the synthesized templates of every environment. */
export function runCost(templates: Record<string, CostTemplate>, options: CostOptions = {}): CostOutput {
  if (options.profile === undefined && !options.breakeven) {
    return { text: toMarkdown(estimateEnvironments(templates), PRICES_AS_OF), files: {} };
  }
  const env = options.env ?? 'prod';
  const envTemplates = templatesOf(templates, env);
  const table = pricesFor(options.region ?? DEFAULT_REGION);
  const sections: string[] = [];
  const files: Record<string, string> = {};
  let usage: UsageEstimate | undefined;
  let report: BreakEvenReport | undefined;
  if (options.profile !== undefined) {
    usage = estimateUsage(env, envTemplates, loadProfile(options.profile), table);
    sections.push(usageMarkdown(usage, table));
  }
  if (options.breakeven) {
    const chartPath = options.chart ?? defaultChartPath(env, table.region, options.profile ?? 'growth');
    report = breakEven(envTemplates, loadProfile(options.profile ?? 'growth'), table);
    files[chartPath] = breakEvenSvg(breakEvenChart(report, env, table));
    files[importsChartPath(chartPath)] = breakEvenSvg(importBreakEvenChart(report, env, table));
    sections.push(breakEvenText(report, env, table, chartPath));
  }
  return { text: sections.join('\n\n'), files, usage, breakEven: report };
}
