import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, type EcsRunTask } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { TRANSIENT_IMPORT_ERRORS } from '../../lambda/domain/import-errors';
import { keysUnder } from '../../lambda/domain/bucket-layout';
import { acknowledgeWildcardResource } from '../compliance';
import { monitoredQueue } from './monitored-queue';
import type { MonitoredFlow } from './platform-monitoring';
import { AppFunction, type Invocation } from './app-function';
import { JOB_START_MARGIN, type ImportJob } from './import-job';

export interface ImportPipelineProps {
  /** The uploads bucket: import files under `imports/`, working files under `import-runs/`. */
  readonly uploadsBucket: IBucket;
  /** S3 events for `imports/` (the upload events topic's filtered subscription). */
  readonly importsQueue: IQueue;
  readonly usersTable: ITable;
  readonly importsTable: ITable;
  /** Where outcomes are counted for the daily report. */
  readonly activityTable: ITable;
  /** Files above this size skip the Lambda path and run as the Fargate import job. */
  readonly largeImportThresholdBytes: number;
  /** The Fargate job that imports files too large for Lambda (ContainersStack.importJob). */
  readonly importJob: ImportJob;
  /** Where the job checkpoints its counts; RecordSuccess reads them after the job. */
  readonly importCheckpointsTable: ITable;
  /** Days a finished import's status item is kept. */
  readonly recordRetentionDays: number;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Errors of the Lambda service itself (including throttling), retried on every Task. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
] as const;

/** What Step Functions reports when a Lambda function runs out of time. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/**
 * Errors of starting the Fargate task, retried with backoff: ECS API errors, and `AmazonECS.Unknown`,
 * what Step Functions raises when RunTask places no task (no Fargate or Spot capacity).
 */
export const ECS_START_ERRORS = ['ECS.AmazonECSException', 'ECS.ServerException', 'AmazonECS.Unknown'] as const;

/** Retries of a failed job run (see runJob). */
const JOB_FAILURE_RETRIES = 1;

/** The state names, which tests, logs and the console share. */
export const IMPORT_STATES = {
  validate: 'Validate',
  isTooLarge: 'IsTooLargeForLambda',
  runJob: 'RunImportJob',
  recordJobSuccess: 'RecordJobSuccess',
  transform: 'Transform',
  load: 'Load',
  isLoadDone: 'IsLoadDone',
  recordSuccess: 'RecordSuccess',
  recordFailure: 'RecordFailure',
  succeeded: 'ImportSucceeded',
  failed: 'ImportFailed',
} as const;

/**
 * The bulk import of users: a Standard Step Functions workflow Validate → (size) → Transform →
 * Load → RecordSuccess, started once per object version under `imports/` by a queue consumer.
 * A file above the size threshold runs instead as the Fargate import job (RunImportJob, `.sync`),
 * whose counts RecordJobSuccess reads from the job's checkpoint.
 *
 * Only S3 locations and counts travel between states (state payloads are capped at 256 KB).
 * Every Task retries Lambda service errors and transient data errors with backoff, and catches
 * every other error into RecordFailure, which records it before the execution fails with the
 * original error name.
 */
export class ImportPipeline extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<'startImport' | 'validate' | 'transform' | 'load' | 'recordOutcome', AppFunction>;
  /** What the Operations stack alarms on and shows: the state machine, its functions, the imports queue and its DLQ. */
  readonly monitored: MonitoredFlow;

  constructor(scope: Construct, id: string, props: ImportPipelineProps) {
    super(scope, id);
    const logs = { logRetention: props.logRetention, logRemovalPolicy: props.logRemovalPolicy };
    const bucket = props.uploadsBucket;
    const runs = keysUnder('importRuns');
    // A Lambda-sized import: its file streams through in well under this.
    const stepTimeout = Duration.minutes(5);

    const make = (
      fnId: string,
      handlerFile: string,
      description: string,
      extra: { timeout?: Duration; memorySize?: number; invocation?: Invocation } = {},
    ) =>
      new AppFunction(this, fnId, {
        handlerFile,
        description,
        serviceName: 'imports',
        invocation: { kind: 'stepFunctions' },
        ...logs,
        ...extra,
      });

    this.functions = {
      startImport: make('StartImportFunction', 'start-import.ts', 'Starts one import execution per new file under imports/', {
        timeout: Duration.seconds(30),
        invocation: { kind: 'sqs' },
      }).useTable('IMPORTS_TABLE_NAME', props.importsTable, ['dynamodb:PutItem']),
      validate: make(
        'ValidateFunction',
        'import-validate.ts',
        'Import step 1: validate the file, write valid chunks and an invalid-lines report',
        {
          timeout: stepTimeout,
          memorySize: 1024,
        },
      ).useBucket('UPLOADS_BUCKET_NAME', bucket, { read: [keysUnder('imports')], write: [runs] }),
      transform: make('TransformFunction', 'import-transform.ts', 'Import step 2: normalise the valid records', {
        timeout: stepTimeout,
        memorySize: 512,
      }).useBucket('UPLOADS_BUCKET_NAME', bucket, { read: [runs], write: [runs] }),
      // Load works to a time budget within this timeout (LOAD_TIME_RESERVE_MS) and continues in a
      // new invocation; it only reads the working chunks. One conditional put per user costs the
      // SDK about 0.4 ms of CPU (bench/import-load.ts): 1,769 MB is one full vCPU, so the CPU
      // keeps up with 32 puts in flight.
      load: make('LoadFunction', 'import-load.ts', 'Import step 3: create users with conditional puts, reporting existing emails', {
        timeout: stepTimeout,
        memorySize: 1769,
      })
        .useBucket('UPLOADS_BUCKET_NAME', bucket, { read: [runs] })
        .useTable('USERS_TABLE_NAME', props.usersTable, ['dynamodb:PutItem', 'dynamodb:GetItem'])
        .useTable('CHECKPOINTS_TABLE_NAME', props.importCheckpointsTable, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
      recordOutcome: make('RecordOutcomeFunction', 'import-record-outcome.ts', 'Records how an import ended, and counts it')
        .useTable('IMPORTS_TABLE_NAME', props.importsTable, ['dynamodb:UpdateItem'])
        .useTable('ACTIVITY_TABLE_NAME', props.activityTable, ['dynamodb:UpdateItem'])
        .useTable('CHECKPOINTS_TABLE_NAME', props.importCheckpointsTable, ['dynamodb:GetItem']),
    };
    this.functions.validate.fn.addEnvironment('LARGE_IMPORT_THRESHOLD_BYTES', String(props.largeImportThresholdBytes));
    this.functions.recordOutcome.fn.addEnvironment('IMPORT_RECORD_RETENTION_DAYS', String(props.recordRetentionDays));

    const failed = new Fail(this, IMPORT_STATES.failed, {
      comment: 'Ends the execution with the error that failed the import',
      errorPath: JsonPath.stringAt('$.failure.Error'),
      causePath: JsonPath.stringAt('$.failure.Cause'),
    });
    const recordFailure = this.task(IMPORT_STATES.recordFailure, this.functions.recordOutcome, {
      payload: TaskInput.fromObject({
        outcome: 'FAILED',
        importId: JsonPath.stringAt('$.importId'),
        failure: JsonPath.objectAt('$.failure'),
      }),
      resultPath: JsonPath.DISCARD,
    });
    // If even recording fails, the execution still ends with the import's own error, kept in $.failure.
    recordFailure.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.recordFailureError' }).next(failed);
    const catchInto = <T extends TaskStateBase>(task: T): T => {
      task.addCatch(recordFailure, { errors: [Errors.ALL], resultPath: '$.failure' });
      return task;
    };

    const validate = catchInto(this.task(IMPORT_STATES.validate, this.functions.validate, { resultPath: '$.validation' }));
    const transform = catchInto(this.task(IMPORT_STATES.transform, this.functions.transform, { resultPath: '$.transform' }));
    const load = catchInto(this.task(IMPORT_STATES.load, this.functions.load, { resultPath: '$.load' }));
    // Load stops itself well before its timeout; should it still time out (a stalled call), the
    // next attempt resumes from its checkpoint, so a timeout is worth a retry, not a failed import.
    load.addRetry({ errors: [LAMBDA_TIMEOUT_ERROR], interval: Duration.seconds(1), maxAttempts: 2 });
    const recordSuccess = catchInto(
      this.task(IMPORT_STATES.recordSuccess, this.functions.recordOutcome, {
        payload: TaskInput.fromObject({
          outcome: 'SUCCEEDED',
          importId: JsonPath.stringAt('$.importId'),
          validation: JsonPath.objectAt('$.validation'),
          load: JsonPath.objectAt('$.load'),
        }),
        resultPath: JsonPath.DISCARD,
      }),
    );

    const succeeded = new Succeed(this, IMPORT_STATES.succeeded);
    const definition = validate.next(
      new Choice(this, IMPORT_STATES.isTooLarge)
        .when(
          Condition.numberGreaterThan('$.validation.sizeBytes', props.largeImportThresholdBytes),
          catchInto(this.runJob(props.importJob))
            .next(
              catchInto(
                this.task(IMPORT_STATES.recordJobSuccess, this.functions.recordOutcome, {
                  payload: TaskInput.fromObject({ outcome: 'JOB_SUCCEEDED', importId: JsonPath.stringAt('$.importId') }),
                  resultPath: JsonPath.DISCARD,
                }),
              ),
            )
            .next(succeeded),
        )
        .otherwise(
          transform.next(load).next(
            // Load returns done: false when it stopped at its time budget: run it again, it resumes.
            new Choice(this, IMPORT_STATES.isLoadDone)
              .when(Condition.booleanEquals('$.load.done', false), load)
              .otherwise(recordSuccess.next(succeeded)),
          ),
        ),
    );

    const stateMachineLogs = new LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Bulk import of users: Validate, Transform, Load',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      // Room for the job's every attempt (see runJob), plus the Lambda steps around it.
      timeout: Duration.minutes(60 + (1 + JOB_FAILURE_RETRIES) * (props.importJob.timeout.toMinutes() + JOB_START_MARGIN.toMinutes())),
      tracingEnabled: true,
      // Every event, without execution data: records and emails stay out of the logs (the
      // execution history in Step Functions keeps the data for those allowed to read it).
      logs: { destination: stateMachineLogs, level: LogLevel.ALL, includeExecutionData: false },
    });

    const role = this.stateMachine.role;
    for (const step of [this.functions.validate, this.functions.transform, this.functions.load, this.functions.recordOutcome]) {
      acknowledgeWildcardResource(
        role,
        `${step.fn.functionArn}:*`,
        'Invokes any version of its own step function, as the Lambda Task integration grants.',
      );
    }
    acknowledgeWildcardResource(
      role,
      props.importJob.revisionsArn(this),
      'Runs any revision of the import job family: a revision read from the Containers stack would go stale when only the worker changes.',
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs delivery actions of the state machine, and ecs:DescribeTasks/ecs:StopTask of the import job (the task ARN is known only at run time), support no narrower resource.',
    });

    this.functions.startImport.fn.addEnvironment('IMPORT_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(this.functions.startImport.fn);
    this.functions.startImport.consumeQueue(props.importsQueue, { batchSize: 10 });

    this.monitored = {
      title: 'Imports',
      stateMachine: this.stateMachine,
      functions: Object.fromEntries(
        Object.entries(this.functions).map(([name, fn]) => [`Import${name[0].toUpperCase()}${name.slice(1)}`, fn.fn]),
      ),
      queues: [monitoredQueue('Imports', props.importsQueue)],
    };
  }

  /**
   * The Fargate import job, run to completion. Starting it is retried on ECS errors and missing
   * capacity; a run that fails (non-zero exit: States.TaskFailed) is retried once, because a Spot
   * interruption ends a run that way too, and the job resumes from its checkpoint.
   */
  private runJob(job: ImportJob): EcsRunTask {
    const task = job.runTask(this, IMPORT_STATES.runJob, {
      key: JsonPath.stringAt('$.key'),
      importId: JsonPath.stringAt('$.importId'),
      submittedAt: JsonPath.stringAt('$.submittedAt'),
      versionId: JsonPath.stringAt('$.validation.objectVersion'),
    });
    task
      .addRetry({
        errors: [...ECS_START_ERRORS],
        interval: Duration.seconds(30),
        maxAttempts: 5,
        backoffRate: 2,
        jitterStrategy: JitterType.FULL,
      })
      .addRetry({ errors: [Errors.TASKS_FAILED], interval: Duration.minutes(1), maxAttempts: JOB_FAILURE_RETRIES });
    return task;
  }

  /** A Lambda Task with the retries every Task of the pipeline has. */
  private task(id: string, fn: AppFunction, options: { payload?: TaskInput; resultPath: string }): LambdaInvoke {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: fn.fn,
      // The function's own result, not the Invoke API's envelope; the Resource is the function ARN.
      payloadResponseOnly: true,
      // Replaced by the explicit retriers below, which also cover throttling.
      retryOnServiceExceptions: false,
      payload: options.payload,
      resultPath: options.resultPath,
    });
    task
      .addRetry({
        errors: [...LAMBDA_SERVICE_ERRORS],
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        jitterStrategy: JitterType.FULL,
      })
      .addRetry({
        errors: [...TRANSIENT_IMPORT_ERRORS],
        interval: Duration.seconds(5),
        maxAttempts: 4,
        backoffRate: 2,
        jitterStrategy: JitterType.FULL,
      });
    return task;
  }
}
