import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * On-demand list prices, USD, one dated and cited table per region in prices/<region>.json. Each
 * line says where it comes from and whether it was checked; the free tier is a separate section,
 * shown next to the estimate and never subtracted from a line. Prices drift: the estimate is for
 * comparing designs and seeing what a change adds, not for a budget.
 */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export type PriceKey =
  | 'lambdaRequestsPerMillion'
  | 'lambdaGbSecondArm64'
  | 'lambdaGbSecondX86'
  | 'provisionedConcurrencyGbSecondArm64'
  | 'provisionedConcurrencyGbSecondX86'
  | 'restApiPerMillion'
  | 'sqsPerMillion'
  | 'snsPublishPerMillion'
  | 'sfnTransitionPerThousand'
  | 'schedulerPerMillion'
  | 'dynamoWritePerMillion'
  | 'dynamoReadPerMillion'
  | 'dynamoStorageGbMonth'
  | 's3StorageGbMonth'
  | 's3PutPerThousand'
  | 's3GetPerThousand'
  | 'logsIngestionPerGb'
  | 'logsStorageGbMonth'
  | 'cognitoM2mAppClientMonth'
  | 'cognitoM2mTokenPerThousand'
  | 'fargateVcpuHourArm64'
  | 'fargateGbHourArm64'
  | 'fargateVcpuHourX86'
  | 'fargateGbHourX86'
  | 'fargateSpotFactor'
  | 'albHour'
  | 'albLcuHour'
  | 'natGatewayHour'
  | 'natGatewayPerGb'
  | 'publicIpv4Hour'
  | 'interfaceEndpointHourPerAz'
  | 'kmsKeyMonth'
  | 'alarmMonth'
  | 'dashboardMonth';

export interface PriceLine {
  readonly usd: number;
  readonly unit: string;
  readonly asOf: string;
  readonly source: string;
  /** Whether and how the figure was checked, or why it could not be. */
  readonly check: string;
}

export type FreeTierKey =
  | 'lambdaRequests'
  | 'lambdaGbSeconds'
  | 'restApiRequests'
  | 'sqsRequests'
  | 'snsPublishes'
  | 'sfnTransitions'
  | 'schedulerInvocations'
  | 'dynamoStorageGb'
  | 's3StorageGb'
  | 'logsIngestionGb'
  | 'alarms'
  | 'dashboards';

export interface FreeTierLine {
  /** How much of the quantity a month is free, in the unit the priced line counts. */
  readonly amount: number;
  readonly unit: string;
  /** The price the allowance is worth, per unit of that line. */
  readonly price: PriceKey;
  /** False: only in a new account's first 12 months. */
  readonly always: boolean;
  readonly source: string;
  readonly note?: string;
}

export interface PriceTable {
  readonly region: string;
  readonly currency: 'USD';
  readonly asOf: string;
  readonly note: string;
  readonly prices: Record<PriceKey, PriceLine>;
  readonly freeTier: Record<FreeTierKey, FreeTierLine>;
}

export const PRICE_REGIONS = ['eu-west-1', 'us-east-1'] as const;

const tables = new Map<string, PriceTable>();

/** The price table of a region (prices/<region>.json); throws for a region with none. */
export function pricesFor(region: string): PriceTable {
  const cached = tables.get(region);
  if (cached) return cached;
  const file = path.join(__dirname, 'prices', `${region}.json`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) || !fs.existsSync(file)) {
    throw new Error(
      `No price table for region ${region}: add tools/cost-estimate/prices/${region}.json (have ${PRICE_REGIONS.join(', ')})`,
    );
  }
  const table = JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
  tables.set(region, table);
  return table;
}

/** A price's value, in USD per its unit. */
export function price(table: PriceTable, key: PriceKey): number {
  const line = table.prices[key];
  if (line === undefined) throw new Error(`The ${table.region} price table has no ${key}`);
  return line.usd;
}

/** The figures the fixed estimate (estimateStack) uses, read from a region's table. */
export function fixedPrices(table: PriceTable) {
  const p = (key: PriceKey) => price(table, key);
  return {
    natGatewayHour: p('natGatewayHour'),
    albHour: p('albHour'),
    albLcuHour: p('albLcuHour'),
    fargate: {
      x86: { vcpuHour: p('fargateVcpuHourX86'), gbHour: p('fargateGbHourX86') },
      arm64: { vcpuHour: p('fargateVcpuHourArm64'), gbHour: p('fargateGbHourArm64') },
    },
    fargateSpotFactor: p('fargateSpotFactor'),
    provisionedConcurrencyGbSecond: { x86: p('provisionedConcurrencyGbSecondX86'), arm64: p('provisionedConcurrencyGbSecondArm64') },
    kmsKeyMonth: p('kmsKeyMonth'),
    alarmMonth: p('alarmMonth'),
    dashboardMonth: p('dashboardMonth'),
    cognitoM2mAppClientMonth: p('cognitoM2mAppClientMonth'),
    interfaceEndpointHourPerAz: p('interfaceEndpointHourPerAz'),
    publicIpv4Hour: p('publicIpv4Hour'),
    restApiPerMillion: p('restApiPerMillion'),
    lambdaRequestsPerMillion: p('lambdaRequestsPerMillion'),
    lambdaGbSecond: { x86: p('lambdaGbSecondX86'), arm64: p('lambdaGbSecondArm64') },
    dynamoWritePerMillion: p('dynamoWritePerMillion'),
    dynamoReadPerMillion: p('dynamoReadPerMillion'),
  };
}

/** The region the platform deploys to (lib/config.ts), and the default of every estimate. */
export const DEFAULT_REGION = 'eu-west-1';

/** eu-west-1 prices for the fixed estimate, as before the tables were data. */
export const PRICES = fixedPrices(pricesFor(DEFAULT_REGION));

export const PRICES_AS_OF = `${pricesFor(DEFAULT_REGION).asOf}, ${DEFAULT_REGION} on-demand list prices (tools/cost-estimate/prices/${DEFAULT_REGION}.json)`;
