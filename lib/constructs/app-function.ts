import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Architecture, LoggingFormat, ApplicationLogLevel, SystemLogLevel, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda runtime of every function in the project. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

const PROJECT_ROOT = path.join(__dirname, '..', '..');
const HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambda', 'handlers');

export interface AppFunctionProps {
  /** The handler file, relative to lambda/handlers (for example `create-user.ts`); it must export `handler`. */
  readonly handlerFile: string;
  readonly description: string;
  /** Groups the function's logs and metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  readonly logRetention: RetentionDays;
  /** What happens to the log group when the function is removed. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Extra environment variables. Prefer the `use*` helpers, which set a variable and its grant together. */
  readonly environment?: Record<string, string>;
}

/** A grant preset, or the exact DynamoDB actions (for example `['dynamodb:PutItem']`) when a preset is wider than needed. */
export type TableAccess = 'read' | 'write' | 'readWrite' | readonly `dynamodb:${string}`[];

/** Object access by key pattern (for example `reports/daily/*`): the least a function needs of a bucket. */
export interface BucketAccess {
  /** Key patterns the function reads (and lists). @default none */
  readonly read?: readonly string[];
  /** Key patterns the function writes. @default none */
  readonly write?: readonly string[];
  /** Key patterns the function deletes. @default none */
  readonly delete?: readonly string[];
}

/**
 * Every Lambda function in the project is an AppFunction, so its defaults live here once:
 * ARM64 (cheaper per GB-second, fast cold starts), the project runtime, an explicit log group with
 * the environment's retention, JSON logs, active tracing, and esbuild bundling tuned for cold start.
 */
export class AppFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  /** The handler file, relative to lambda/handlers: how tests find the code behind a deployed function. */
  readonly handlerFile: string;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.handlerFile = props.handlerFile;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.resolve(HANDLERS_DIR, props.handlerFile),
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: { POWERTOOLS_SERVICE_NAME: props.serviceName, ...props.environment },
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        // Small ESM bundles load fastest: minified, ESM entry points of dependencies preferred, and
        // the AWS SDK bundled and tree-shaken rather than loaded whole from the runtime.
        format: OutputFormat.ESM,
        minify: true,
        mainFields: ['module', 'main'],
        externalModules: [],
        // Bundled CommonJS dependencies call require(); an ESM bundle has to provide it.
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        // No source maps: they add to every cold start for stack traces we can read from logs anyway.
        sourceMap: false,
      },
    });
  }

  /** Gives the function a table: its name in `envVar` and the least access it needs, set together. */
  useTable(envVar: string, table: ITable, access: TableAccess): this {
    this.fn.addEnvironment(envVar, table.tableName);
    if (access === 'read') table.grantReadData(this.fn);
    else if (access === 'write') table.grantWriteData(this.fn);
    else if (access === 'readWrite') table.grantReadWriteData(this.fn);
    else table.grant(this.fn, ...access);
    return this;
  }

  /** Gives the function a bucket: its name in `envVar` and access to the key patterns it uses, set together. */
  useBucket(envVar: string, bucket: IBucket, access: BucketAccess): this {
    this.fn.addEnvironment(envVar, bucket.bucketName);
    for (const pattern of access.read ?? []) bucket.grantRead(this.fn, pattern);
    for (const pattern of access.write ?? []) bucket.grantPut(this.fn, pattern);
    for (const pattern of access.delete ?? []) bucket.grantDelete(this.fn, pattern);
    return this;
  }

  /** Gives the function a topic to publish to: its ARN in `envVar` and the publish grant, set together. */
  usePublish(envVar: string, topic: ITopic): this {
    this.fn.addEnvironment(envVar, topic.topicArn);
    topic.grantPublish(this.fn);
    return this;
  }
}
