import { HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH } from './prices';

type FixedPrices = typeof PRICES;

/** A CloudFormation template, as much of it as the estimate reads. */
export interface CostTemplate {
  /** Containers stack: what config left out, for the "with the export service on" figure. */
  readonly Metadata?: { readonly ExportServiceOff?: ExportServiceOff; readonly [key: string]: unknown };
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
}

export interface LineItem {
  readonly stack: string;
  readonly item: string;
  readonly count: number;
  readonly monthlyUsd: number;
}

export interface EnvironmentEstimate {
  readonly environment: string;
  /** What the environment costs standing still, with no traffic. */
  readonly fixedMonthlyUsd: number;
  readonly lineItems: LineItem[];
  /** API Gateway + Lambda + DynamoDB for one million users-API requests (one read or write each, 50 ms). */
  readonly perMillionApiRequestsUsd: number;
  /** Where config leaves the export service out: the fixed cost with it on. */
  readonly withExportServiceUsd?: number;
}

export type Arch = 'x86' | 'arm64';

export function archOf(properties: Record<string, any> | undefined): Arch {
  const architectures = properties?.Architectures ?? properties?.RuntimePlatform?.CpuArchitecture;
  return JSON.stringify(architectures ?? '')
    .toLowerCase()
    .includes('arm64')
    ? 'arm64'
    : 'x86';
}

export function refOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  return typeof ref === 'string' ? ref : undefined;
}

/** The export service a Containers stack would run if config turned it on (lib/containers-stack.ts). */
export interface ExportServiceOff {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  readonly spot: boolean;
  readonly publicIp: boolean;
}

/**
 * What turning the export service on would add to the fixed cost: its load balancer (with one
 * LCU, as the fixed estimate prices it), its tasks (the worker image is ARM64) and their public IPs.
 * Its alarms in the Operations stack ($0.10 each) are not counted.
 */
export function exportServiceOnMonthlyUsd(off: ExportServiceOff, prices: FixedPrices = PRICES): number {
  const taskHour = (off.cpu / 1024) * prices.fargate.arm64.vcpuHour + (off.memoryMiB / 1024) * prices.fargate.arm64.gbHour;
  return round(
    (prices.albHour + prices.albLcuHour) * HOURS_PER_MONTH +
      off.desiredCount * taskHour * HOURS_PER_MONTH * (off.spot ? prices.fargateSpotFactor : 1) +
      (off.publicIp ? off.desiredCount * prices.publicIpv4Hour * HOURS_PER_MONTH : 0),
  );
}

/** The fixed monthly cost of one stack's resources, item by item. */
export function estimateStack(stack: string, template: CostTemplate, prices: FixedPrices = PRICES): LineItem[] {
  const PRICES = prices;
  const resources = template.Resources ?? {};
  const items: LineItem[] = [];
  // Identical items of a stack add up into one line.
  const add = (item: string, count: number, unitMonthlyUsd: number) => {
    if (count <= 0) return;
    const index = items.findIndex((existing) => existing.item === item);
    const previous = index >= 0 ? items.splice(index, 1)[0] : undefined;
    const total = (previous?.count ?? 0) + count;
    items.push({ stack, item, count: total, monthlyUsd: round(total * unitMonthlyUsd) });
  };
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

  add('NAT gateway', ofType('AWS::EC2::NatGateway').length, PRICES.natGatewayHour * HOURS_PER_MONTH);
  add(
    'Application load balancer (1 LCU)',
    ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').filter(([, lb]) => (lb.Properties?.Type ?? 'application') === 'application').length,
    (PRICES.albHour + PRICES.albLcuHour) * HOURS_PER_MONTH,
  );
  add('KMS customer key', ofType('AWS::KMS::Key').length, PRICES.kmsKeyMonth);
  add('CloudWatch alarm', ofType('AWS::CloudWatch::Alarm').length, PRICES.alarmMonth);
  add('CloudWatch dashboard', ofType('AWS::CloudWatch::Dashboard').length, PRICES.dashboardMonth);
  // Cognito bills each client-credentials (M2M) app client by the month, used or not.
  add(
    'Cognito M2M app clients',
    ofType('AWS::Cognito::UserPoolClient').filter(([, client]) =>
      JSON.stringify(client.Properties?.AllowedOAuthFlows ?? []).includes('client_credentials'),
    ).length,
    PRICES.cognitoM2mAppClientMonth,
  );
  for (const [, endpoint] of ofType('AWS::EC2::VPCEndpoint')) {
    if (endpoint.Properties?.VpcEndpointType === 'Interface') {
      const azs = Array.isArray(endpoint.Properties.SubnetIds) ? endpoint.Properties.SubnetIds.length : 1;
      add('Interface VPC endpoint (per AZ)', azs, PRICES.interfaceEndpointHourPerAz * HOURS_PER_MONTH);
    }
  }

  for (const [, service] of ofType('AWS::ECS::Service')) {
    const taskId = refOf(service.Properties?.TaskDefinition);
    const task = taskId === undefined ? undefined : resources[taskId]?.Properties;
    if (task === undefined) continue;
    const desired = Number(service.Properties?.DesiredCount ?? 1);
    const prices = PRICES.fargate[archOf(task)];
    const spot = JSON.stringify(service.Properties?.CapacityProviderStrategy ?? '').includes('FARGATE_SPOT');
    const taskHour = (Number(task.Cpu) / 1024) * prices.vcpuHour + (Number(task.Memory) / 1024) * prices.gbHour;
    const publicIp = JSON.stringify(service.Properties?.NetworkConfiguration ?? '').includes('"AssignPublicIp":"ENABLED"');
    add(
      `Fargate service task (${Number(task.Cpu) / 1024} vCPU, ${Number(task.Memory) / 1024} GB, ${archOf(task)}${spot ? ', Spot' : ''})`,
      desired,
      taskHour * HOURS_PER_MONTH * (spot ? PRICES.fargateSpotFactor : 1),
    );
    if (publicIp) add('Public IPv4 address (Fargate task)', desired, PRICES.publicIpv4Hour * HOURS_PER_MONTH);
  }

  for (const [, alias] of ofType('AWS::Lambda::Alias')) {
    const warm = Number(alias.Properties?.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions ?? 0);
    const fnId = refOf(alias.Properties?.FunctionName);
    const fn = fnId === undefined ? undefined : resources[fnId]?.Properties;
    if (warm === 0 || fn === undefined) continue;
    const gb = Number(fn.MemorySize ?? 128) / 1024;
    add(
      `Provisioned concurrency (${fn.MemorySize ?? 128} MB, ${archOf(fn)})`,
      warm,
      gb * SECONDS_PER_MONTH * PRICES.provisionedConcurrencyGbSecond[archOf(fn)],
    );
  }
  return items;
}

/** The pay-per-use cost of one million API requests, from the users API functions' memory and architecture. */
function perMillionApiRequests(templates: Record<string, CostTemplate>): number {
  const functions = Object.values(templates).flatMap((template) =>
    Object.values(template.Resources ?? {}).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function' && String(resource.Properties?.Description ?? '').includes('/users'),
    ),
  );
  const fn = functions[0]?.Properties;
  const gb = Number(fn?.MemorySize ?? 256) / 1024;
  const computeSeconds = 1_000_000 * 0.05;
  const lambda = PRICES.lambdaRequestsPerMillion + computeSeconds * gb * PRICES.lambdaGbSecond[archOf(fn)];
  const dynamo = (PRICES.dynamoReadPerMillion + PRICES.dynamoWritePerMillion) / 2;
  return round(PRICES.restApiPerMillion + lambda + dynamo);
}

export function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}

/** Groups stacks (`dev/Api`, `prod/Stateful`, ...) by environment and estimates each. */
export function estimateEnvironments(templates: Record<string, CostTemplate>): EnvironmentEstimate[] {
  const byEnvironment = new Map<string, Record<string, CostTemplate>>();
  for (const [stackId, template] of Object.entries(templates)) {
    const environment = stackId.includes('/') ? stackId.split('/')[0] : '(app)';
    byEnvironment.set(environment, { ...byEnvironment.get(environment), [stackId]: template });
  }
  const order = (environment: string) => {
    const known = ['dev', 'staging', 'prod'].indexOf(environment);
    return known === -1 ? 99 : known;
  };
  const sorted = [...byEnvironment.entries()].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
  return sorted.map(([environment, stacks]) => {
    const lineItems = Object.entries(stacks).flatMap(([stackId, template]) => estimateStack(stackId, template));
    const fixedMonthlyUsd = round(lineItems.reduce((sum, item) => sum + item.monthlyUsd, 0));
    const off = Object.values(stacks).find((template) => template.Metadata?.ExportServiceOff !== undefined)?.Metadata?.ExportServiceOff;
    return {
      environment,
      lineItems,
      fixedMonthlyUsd,
      perMillionApiRequestsUsd: perMillionApiRequests(stacks),
      ...(off === undefined ? {} : { withExportServiceUsd: round(fixedMonthlyUsd + exportServiceOnMonthlyUsd(off)) }),
    };
  });
}

export function toMarkdown(estimates: EnvironmentEstimate[], pricesAsOf: string): string {
  const lines = ['# Estimated monthly cost', '', `Fixed costs that run whether or not anyone uses the platform (${pricesAsOf}).`, ''];
  lines.push('| environment | fixed per month | per million API requests | fixed with the export service on |', '|---|---:|---:|---:|');
  for (const estimate of estimates) {
    const withExport =
      estimate.withExportServiceUsd === undefined ? '(it is on)' : `$${estimate.withExportServiceUsd.toFixed(2)} (config turns it off)`;
    lines.push(
      `| ${estimate.environment} | $${estimate.fixedMonthlyUsd.toFixed(2)} | $${estimate.perMillionApiRequestsUsd.toFixed(2)} | ${withExport} |`,
    );
  }
  for (const estimate of estimates) {
    lines.push('', `## ${estimate.environment}`, '', '| stack | item | count | per month |', '|---|---|---:|---:|');
    for (const item of estimate.lineItems) {
      lines.push(`| ${item.stack} | ${item.item} | ${item.count} | $${item.monthlyUsd.toFixed(2)} |`);
    }
    if (estimate.lineItems.length === 0) lines.push('| | nothing that costs money standing still | | $0.00 |');
  }
  lines.push(
    '',
    'Not included: pay-per-use charges beyond the per-request figure (Lambda, SQS, SNS, S3, Step Functions,',
    'DynamoDB storage and backups, CloudWatch Logs ingestion, data transfer) and the free tier.',
  );
  return lines.join('\n');
}
