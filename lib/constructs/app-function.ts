import * as path from 'node:path';
import { Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  Alias,
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource, type SqsEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../compliance';
import { sourceFingerprint } from './source-fingerprint';

const DLQ_NOT_APPLICABLE: Record<Exclude<Invocation['kind'], 'async'>, string> = {
  api: 'Invoked synchronously by API Gateway: a failure is the HTTP response, and a function DLQ only receives failed asynchronous invocations.',
  sqs: 'Invoked by an SQS event source mapping: failed messages return to the queue and move to its redrive DLQ after maxReceiveCount.',
  stepFunctions: 'Invoked synchronously by Step Functions Tasks, whose Retry and Catch record every failure in the execution.',
};

/**
 * s3:ListBucket on the bucket, unconditioned. Without it S3 answers 403 instead of 404 for a
 * missing object, and code that treats "not there" as a normal case (a deleted upload, a report not
 * yet written, a first checkpoint) would fail. A condition on s3:prefix would not do: a GetObject
 * request carries no prefix, so S3 would not count the permission. It reveals key names only.
 */
export function listKeysStatement(bucket: IBucket): PolicyStatement {
  return new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });
}

/** The Lambda runtime of every function in the project. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * How every handler is bundled. Small ESM bundles load fastest: minified, ESM entry points of
 * dependencies preferred, and the AWS SDK bundled and tree-shaken rather than loaded whole from the runtime.
 */
const BUNDLING = {
  format: OutputFormat.ESM,
  minify: true,
  mainFields: ['module', 'main'],
  externalModules: [],
  // Bundled CommonJS dependencies call require(); an ESM bundle has to provide it.
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // No source maps: they add to every cold start for stack traces we can read from logs anyway.
  sourceMap: false,
} satisfies BundlingOptions;
const HANDLERS_DIR = path.join(PROJECT_ROOT, 'lambda', 'handlers');

export interface AppFunctionProps {
  /** The handler file, relative to lambda/handlers (for example `create-user.ts`); it must export `handler`. */
  readonly handlerFile: string;
  /**
   * The directory bundling resolves from, holding package-lock.json; the handler must be inside it.
   * @default the repository root (tests bundle a handler written to a temporary directory)
   */
  readonly projectRoot?: string;
  readonly description: string;
  /** Groups the function's logs and metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  /** How the function is invoked, which decides where its failures end up. */
  readonly invocation: Invocation;
  readonly logRetention: RetentionDays;
  /** What happens to the log group when the function is removed. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Extra environment variables. Prefer the `use*` helpers, which set a variable and its grant together. */
  readonly environment?: Record<string, string>;
  /**
   * Warm instances kept ready through a `live` alias, scaled on utilisation up to 5 times this
   * number. Callers invoke `invokeTarget`, so the warm instances are the ones that serve.
   * @default 0 (no alias, no provisioned concurrency)
   */
  readonly provisionedConcurrency?: number;
}

/**
 * How a function is invoked decides where its failures go. Only asynchronous invocations need a
 * dead-letter queue of the function's own; the others already have a place for failures.
 */
export type Invocation =
  /** API Gateway waits for the answer: a failure is the client's response. */
  | { readonly kind: 'api' }
  /** An SQS event source mapping: failed messages return to the queue and end in its DLQ. */
  | { readonly kind: 'sqs' }
  /** A Step Functions Task: the state machine's Retry and Catch handle failures. */
  | { readonly kind: 'stepFunctions' }
  /** Asynchronous (EventBridge Scheduler, S3, SNS, async Invoke): failed events go to this DLQ after retries. */
  | { readonly kind: 'async'; readonly deadLetterQueue: IQueue };

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
  /** The `live` alias when the function has provisioned concurrency. */
  readonly alias?: Alias;
  /** What callers should invoke: the alias when there is one, else the function. */
  readonly invokeTarget: IFunction;
  /** The handler file, relative to lambda/handlers: how tests find the code behind a deployed function. */
  readonly handlerFile: string;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.handlerFile = props.handlerFile;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log
    // group only, not create log groups or write to any other.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);

    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const entry = path.resolve(HANDLERS_DIR, props.handlerFile);
    const lockFile = path.join(projectRoot, 'package-lock.json');
    this.fn = new NodejsFunction(this, 'Function', {
      role,
      entry,
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
      projectRoot,
      depsLockFilePath: lockFile,
      // A custom asset hash from the handler's sources: when cdk.out already holds the bundle for
      // this hash, the CDK uses it and esbuild does not run (AssetStaging skips bundling into an
      // existing asset directory). The CDK mixes the bundling options, absolute paths included, into
      // the final hash, so asset hashes differ between checkouts in different directories.
      bundling: {
        ...BUNDLING,
        assetHash: sourceFingerprint(entry, {
          projectRoot,
          lockFile,
          bundling: { BUNDLING, FUNCTION_RUNTIME, arch: Architecture.ARM_64.name },
        }),
      },
      // An on-failure destination rather than a function DLQ: its records carry the error and the
      // request context, not just the event.
      ...(props.invocation.kind === 'async' ? { onFailure: new SqsDestination(props.invocation.deadLetterQueue), retryAttempts: 2 } : {}),
      // Old versions are deleted once the alias has moved on, so versions do not pile up.
      currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
    });

    const warm = props.provisionedConcurrency ?? 0;
    if (warm > 0) {
      this.alias = new Alias(this, 'Live', {
        aliasName: 'live',
        version: this.fn.currentVersion,
        provisionedConcurrentExecutions: warm,
      });
      this.alias.addAutoScaling({ minCapacity: warm, maxCapacity: warm * 5 }).scaleOnUtilization({ utilizationTarget: 0.7 });
    }
    this.invokeTarget = this.alias ?? this.fn;

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
    Validations.of(this.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        props.invocation.kind === 'async'
          ? 'Failed asynchronous invocations go to an on-failure destination (the same queue a DLQ would be), whose records also carry the error.'
          : DLQ_NOT_APPLICABLE[props.invocation.kind],
    });
  }

  /**
   * Consumes a queue in batches with partial batch responses: the handler returns
   * `batchItemFailures`, so one failed message is retried (and, after the queue's maxReceiveCount,
   * moved to its DLQ) without failing its batch-mates.
   */
  consumeQueue(queue: IQueue, options: Omit<SqsEventSourceProps, 'reportBatchItemFailures'> = {}): this {
    const source = new SqsEventSource(queue, { ...options, reportBatchItemFailures: true });
    this.fn.addEventSource(source);
    const mapping = this.fn.node.tryFindChild(`SqsEventSource:${Names.nodeUniqueId(queue.node)}`) ?? this.fn;
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: "SQS event sources take no on-failure destination; a failed message returns to the queue and moves to the queue's DLQ.",
    });
    return this;
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

  /**
   * Lets the function read objects whose keys match `keyPattern` (for example `incoming/*`), any
   * version of them, and list key names; nothing else of the bucket (no bucket configuration).
   */
  readObjects(bucket: IBucket, keyPattern: string): this {
    const objects = bucket.arnForObjects(keyPattern);
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }));
    this.fn.addToRolePolicy(listKeysStatement(bucket));
    if (keyPattern.includes('*')) {
      acknowledgeWildcardResource(
        this.fn.role!,
        objects,
        `Reads the objects under ${keyPattern} that events name; their keys cannot be known when the policy is written.`,
      );
    }
    bucket.encryptionKey?.grantDecrypt(this.fn);
    return this;
  }

  /** Gives the function a bucket: its name in `envVar` and access to the key patterns it uses, set together. */
  useBucket(envVar: string, bucket: IBucket, access: BucketAccess): this {
    this.fn.addEnvironment(envVar, bucket.bucketName);
    // Exact actions rather than the grant* presets (s3:GetObject*, s3:List*, s3:Abort*...).
    const allow = (actions: string[], patterns: readonly string[], verb: string) => {
      if (patterns.length === 0) return;
      const objects = patterns.map((pattern) => bucket.arnForObjects(pattern));
      this.fn.addToRolePolicy(new PolicyStatement({ actions, resources: objects }));
      for (const resource of objects) {
        acknowledgeWildcardResource(
          this.fn.role!,
          resource,
          `${verb} objects under one key prefix of the bucket; their names are made at run time.`,
        );
      }
    };
    const read = access.read ?? [];
    // GetObjectVersion too: the bucket is versioned, and readers ask for the version an event names.
    allow(['s3:GetObject', 's3:GetObjectVersion'], read, 'Reads');
    allow(['s3:PutObject'], access.write ?? [], 'Writes');
    allow(['s3:DeleteObject'], access.delete ?? [], 'Deletes');
    if (read.length > 0) this.fn.addToRolePolicy(listKeysStatement(bucket));
    return this;
  }

  /** Gives the function a topic to publish to: its ARN in `envVar` and the publish grant, set together. */
  usePublish(envVar: string, topic: ITopic): this {
    this.fn.addEnvironment(envVar, topic.topicArn);
    topic.grantPublish(this.fn);
    return this;
  }
}
