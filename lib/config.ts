import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/**
 * Everything that differs between environments, in one typed object per environment. Constructs
 * receive the parts they need as props; nothing below bin/ reads context or environment variables.
 */
export interface EnvironmentConfig {
  readonly envName: EnvironmentName;
  /** The AWS account this environment deploys to. */
  readonly account: string;
  readonly region: string;
  /**
   * Availability zones, given explicitly so synth never needs an AWS lookup (and so no credentials).
   */
  readonly availabilityZones: readonly string[];

  /** RETAIN plus deletion protection on tables and buckets; DESTROY only where data is disposable. */
  readonly dataRemovalPolicy: RemovalPolicy;
  readonly pointInTimeRecovery: boolean;
  /**
   * CloudFormation termination protection on every stack of the environment: on wherever data is
   * retained (test/infra/environments.test.ts holds them together).
   */
  readonly terminationProtection: boolean;
  readonly logRetention: RetentionDays;

  readonly api: {
    /** Steady-state requests per second for the whole stage. */
    readonly throttlingRateLimit: number;
    /** Burst bucket size for the whole stage. */
    readonly throttlingBurstLimit: number;
    /**
     * API Gateway writes logs through one role per account and region. Create it here unless
     * another environment in the same account already does.
     */
    readonly manageAccountLogsRole: boolean;
  };

  readonly functions: {
    /**
     * Warm instances for each users API function (kept by a `live` alias, scaled on utilisation up
     * to 5 times this); 0 disables provisioned concurrency and its cost.
     */
    readonly provisionedConcurrency: number;
  };

  /** Upload processing: the files queue and its consumer (see lib/constructs/upload-processing.ts). */
  readonly uploads: UploadsConfig;

  readonly alarms: {
    /** Who is emailed when an alarm fires (they confirm the subscription once). @default nobody */
    readonly email?: string;
  };

  /** The scheduled jobs (daily report, weekly cleanup). */
  readonly schedules: {
    /** Off keeps the schedules deployed but DISABLED. */
    readonly enabled: boolean;
    /** The time zone of the daily report's 09:00. */
    readonly timeZone: TimeZone;
  };

  readonly imports: {
    /** Import files larger than this go to the long-running (Fargate) path instead of Lambda. */
    readonly largeImportThresholdBytes: number;
    /** Days a finished import's status stays queryable before DynamoDB's TTL removes it. */
    readonly recordRetentionDays: number;
  };

  /** What the weekly cleanup removes, and how much per run. */
  readonly cleanup: {
    /** Uploaded files under `incoming/` older than this are removed. */
    readonly incomingMaxAgeDays: number;
    /** Import files and the pipeline's working files older than this are removed. */
    readonly importArtefactsMaxAgeDays: number;
    /** Objects examined per run at most; the next run resumes after the last one. */
    readonly maxObjectsPerRun: number;
  };

  /** The VPC of the Fargate tasks and the load balancer. */
  readonly network: {
    /**
     * NAT gateways (about $32 a month each, plus data). 0 puts tasks in public subnets with public
     * IPs and no inbound access; more than 0 adds private subnets behind that many NAT gateways.
     */
    readonly natGateways: number;
    /** How many of `availabilityZones` the VPC spans (the load balancer needs at least 2). */
    readonly maxAzs: number;
  };

  /** Fargate sizing for the import job and the export service (see lib/containers-stack.ts). */
  readonly containers: {
    /** CPU units of the import job (1024 = 1 vCPU); a valid Fargate CPU/memory pair with jobMemoryMiB. */
    readonly jobCpu: number;
    readonly jobMemoryMiB: number;
    /** The longest an import job may run before it stops itself (its checkpoint lets a retry resume). */
    readonly jobTimeout: Duration;
    /** Run the import job and the service on Fargate Spot (about 70% cheaper, can be interrupted). */
    readonly useSpot: boolean;
    /**
     * Deploy the ALB → Fargate export service. Off leaves the service, its load balancer and their
     * alarms out: the load balancer is most of an idle environment's cost (dev idles under $15 a
     * month without it; `npm run cost` shows both figures). The import job is unaffected.
     */
    readonly exportServiceEnabled: boolean;
    readonly serviceDesiredCount: number;
    /** Upper bound for auto scaling of the export service. */
    readonly serviceMaxCount: number;
    readonly serviceCpu: number;
    readonly serviceMemoryMiB: number;
    /**
     * An ACM certificate for the load balancer's HTTPS listener. Without one the listener is plain
     * HTTP, which only dev allows (lib/constructs/export-service.ts refuses it elsewhere).
     */
    readonly certificateArn?: string;
    /**
     * Networks (IPv4 CIDR) allowed to reach the export load balancer; nobody else can. Replace the
     * documentation range below with your office, VPN or client networks.
     */
    readonly exportAllowedCidrs: readonly string[];
  };
}

export interface UploadsConfig {
  /** Messages per invocation of the consumer (1–10 with no batching window). */
  readonly batchSize: number;
  /** How long Lambda gathers messages before invoking; zero invokes as soon as messages arrive. */
  readonly maxBatchingWindow: Duration;
  /** Most concurrent invocations the queue's event source starts (2–1000): protects the tables and S3. */
  readonly maxConcurrency: number;
  /** The consumer's timeout; the queue's visibility timeout is derived from it. */
  readonly functionTimeout: Duration;
  /** Deliveries of a message before it moves to the dead-letter queue (at least 5, as AWS advises). */
  readonly maxReceiveCount: number;
  /** Days after which an unfinished multipart upload's parts are deleted (they are billed until then). */
  readonly abortIncompleteMultipartUploadDays: number;
  /** Days a deleted or overwritten object version is kept (recoverable) before S3 expires it. */
  readonly noncurrentVersionDays: number;
  /** Days a file record is kept before the files table's TTL removes it. */
  readonly fileRecordRetentionDays: number;
}

/**
 * The AWS accounts to deploy to. Replace these with your own: they are the only account IDs in
 * the project. One account per environment is AWS's recommended isolation.
 */
export const ACCOUNTS: Record<EnvironmentName, string> = {
  dev: '111111111111',
  staging: '222222222222',
  prod: '333333333333',
};

const REGION = 'eu-west-1';
const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/**
 * Upload-processing settings every environment shares: batches of 10 within a second, a 30 s
 * consumer, 5 receives before the DLQ. Environments set concurrency and retention.
 */
/**
 * Import files above this size run on Fargate. From `npm run bench import-load` (Load with 15 ms
 * per DynamoDB call, 590 records/s on the measuring machine): a file this size loads in half of one
 * Load invocation's 240 s budget at ~50 bytes per row; larger ones would need Load to continue
 * over several invocations, which it can, but the Fargate job does it in one run. See docs/imports.md.
 */
const LARGE_IMPORT_THRESHOLD_BYTES = 3 * 1024 * 1024;

const UPLOADS_BASE = {
  batchSize: 10,
  maxBatchingWindow: Duration.seconds(1),
  functionTimeout: Duration.seconds(30),
  maxReceiveCount: 5,
} as const;

export const ENVIRONMENTS: Record<EnvironmentName, EnvironmentConfig> = {
  dev: {
    envName: 'dev',
    account: ACCOUNTS.dev,
    region: REGION,
    availabilityZones: AZS,
    dataRemovalPolicy: RemovalPolicy.DESTROY,
    pointInTimeRecovery: false,
    terminationProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    api: { throttlingRateLimit: 20, throttlingBurstLimit: 40, manageAccountLogsRole: true },
    functions: { provisionedConcurrency: 0 },
    alarms: {},
    uploads: {
      ...UPLOADS_BASE,
      maxConcurrency: 2,
      abortIncompleteMultipartUploadDays: 1,
      noncurrentVersionDays: 1,
      fileRecordRetentionDays: 30,
    },
    schedules: { enabled: false, timeZone: TimeZone.EUROPE_LONDON },
    imports: { largeImportThresholdBytes: LARGE_IMPORT_THRESHOLD_BYTES, recordRetentionDays: 7 },
    cleanup: { incomingMaxAgeDays: 7, importArtefactsMaxAgeDays: 3, maxObjectsPerRun: 50_000 },
    network: { natGateways: 0, maxAzs: 2 },
    containers: {
      jobCpu: 1024,
      jobMemoryMiB: 2048,
      jobTimeout: Duration.hours(2),
      useSpot: true,
      exportServiceEnabled: true,
      serviceDesiredCount: 1,
      serviceMaxCount: 2,
      serviceCpu: 256,
      serviceMemoryMiB: 512,
      exportAllowedCidrs: ['203.0.113.0/24'],
    },
  },
  staging: {
    envName: 'staging',
    account: ACCOUNTS.staging,
    region: REGION,
    availabilityZones: AZS,
    dataRemovalPolicy: RemovalPolicy.RETAIN,
    pointInTimeRecovery: true,
    // Its data is retained (RETAIN above): deleting a stack by mistake must not be one command away.
    terminationProtection: true,
    logRetention: RetentionDays.ONE_MONTH,
    api: { throttlingRateLimit: 50, throttlingBurstLimit: 100, manageAccountLogsRole: true },
    functions: { provisionedConcurrency: 0 },
    // Replace with your team's address, like the account IDs above.
    alarms: { email: 'platform-alerts@example.com' },
    uploads: {
      ...UPLOADS_BASE,
      maxConcurrency: 5,
      abortIncompleteMultipartUploadDays: 7,
      noncurrentVersionDays: 30,
      fileRecordRetentionDays: 365,
    },
    schedules: { enabled: true, timeZone: TimeZone.EUROPE_LONDON },
    imports: { largeImportThresholdBytes: LARGE_IMPORT_THRESHOLD_BYTES, recordRetentionDays: 30 },
    cleanup: { incomingMaxAgeDays: 30, importArtefactsMaxAgeDays: 7, maxObjectsPerRun: 50_000 },
    // One NAT gateway shared by both zones, to save about $32 a month: losing its zone cuts
    // staging's task egress, which a test environment may suffer (docs/deploy.md).
    network: { natGateways: 1, maxAzs: 2 },
    containers: {
      jobCpu: 1024,
      jobMemoryMiB: 2048,
      jobTimeout: Duration.hours(4),
      useSpot: true,
      exportServiceEnabled: true,
      serviceDesiredCount: 1,
      serviceMaxCount: 3,
      serviceCpu: 512,
      serviceMemoryMiB: 1024,
      // Replace with the environment's own certificate, like the account IDs above.
      certificateArn: 'arn:aws:acm:eu-west-1:222222222222:certificate/00000000-0000-4000-8000-000000000002',
      exportAllowedCidrs: ['203.0.113.0/24'],
    },
  },
  prod: {
    envName: 'prod',
    account: ACCOUNTS.prod,
    region: REGION,
    availabilityZones: AZS,
    dataRemovalPolicy: RemovalPolicy.RETAIN,
    pointInTimeRecovery: true,
    terminationProtection: true,
    logRetention: RetentionDays.ONE_YEAR,
    api: { throttlingRateLimit: 500, throttlingBurstLimit: 1000, manageAccountLogsRole: true },
    functions: { provisionedConcurrency: 1 },
    alarms: { email: 'platform-alerts@example.com' },
    uploads: {
      ...UPLOADS_BASE,
      maxConcurrency: 20,
      abortIncompleteMultipartUploadDays: 7,
      noncurrentVersionDays: 30,
      fileRecordRetentionDays: 365,
    },
    schedules: { enabled: true, timeZone: TimeZone.EUROPE_LONDON },
    imports: { largeImportThresholdBytes: LARGE_IMPORT_THRESHOLD_BYTES, recordRetentionDays: 90 },
    cleanup: { incomingMaxAgeDays: 30, importArtefactsMaxAgeDays: 14, maxObjectsPerRun: 50_000 },
    // One NAT gateway per zone: a zone's outage leaves the other zones' egress alone.
    network: { natGateways: 3, maxAzs: 3 },
    containers: {
      jobCpu: 2048,
      jobMemoryMiB: 4096,
      jobTimeout: Duration.hours(8),
      useSpot: false,
      exportServiceEnabled: true,
      serviceDesiredCount: 2,
      serviceMaxCount: 6,
      serviceCpu: 1024,
      serviceMemoryMiB: 2048,
      // Replace with the environment's own certificate, like the account IDs above.
      certificateArn: 'arn:aws:acm:eu-west-1:333333333333:certificate/00000000-0000-4000-8000-000000000003',
      exportAllowedCidrs: ['203.0.113.0/24'],
    },
  },
};

/** Whether this environment keeps its data when a stack is deleted or a resource replaced. */
export function retainsData(config: EnvironmentConfig): boolean {
  return config.dataRemovalPolicy !== RemovalPolicy.DESTROY;
}

/** Account IDs that only ever appear in examples (this file's and AWS's documentation). */
const EXAMPLE_ACCOUNT_IDS: readonly string[] = ['111111111111', '222222222222', '333333333333', '123456789012', '000000000000'];

/** IPv4 ranges reserved for documentation (RFC 5737): nobody's real network. */
const DOCUMENTATION_RANGES: readonly string[] = ['192.0.2.', '198.51.100.', '203.0.113.'];

/** A setting of lib/config.ts that still holds an example value, and why it cannot be deployed. */
export interface PlaceholderSetting {
  /** Where to change it, e.g. `ENVIRONMENTS.prod.containers.certificateArn`. */
  readonly setting: string;
  readonly problem: string;
}

/**
 * The settings of an environment that still hold this file's example values: account IDs, the
 * zero-UUID certificate ARNs, the documentation CIDR range, example.com addresses. Synth and tests
 * use them as they are; deploying with any of them fails (see lib/placeholder-guard.ts and
 * tools/preflight.ts), naming the setting.
 */
export function placeholderSettings(config: EnvironmentConfig): PlaceholderSetting[] {
  const found: PlaceholderSetting[] = [];
  const name = config.envName;
  if (EXAMPLE_ACCOUNT_IDS.includes(config.account)) {
    found.push({ setting: `ACCOUNTS.${name}`, problem: `${config.account} is an example account ID` });
  }
  const certificate = config.containers.certificateArn;
  if (certificate !== undefined && /:certificate\/0{8}-0{4}-/.test(certificate)) {
    found.push({ setting: `ENVIRONMENTS.${name}.containers.certificateArn`, problem: 'the zero-UUID example certificate' });
  }
  const examples = config.containers.exportAllowedCidrs.filter((cidr) => DOCUMENTATION_RANGES.some((range) => cidr.startsWith(range)));
  if (examples.length > 0) {
    found.push({
      setting: `ENVIRONMENTS.${name}.containers.exportAllowedCidrs`,
      problem: `${examples.join(', ')} is a documentation range (RFC 5737)`,
    });
  }
  const email = config.alarms.email;
  if (email !== undefined && /@example\.(com|org|net)$/i.test(email)) {
    found.push({ setting: `ENVIRONMENTS.${name}.alarms.email`, problem: `${email} is an example address that nobody reads` });
  }
  return found;
}
