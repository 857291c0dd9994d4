import { Duration, RemovalPolicy, Stack, Validations, type TimeZone } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { keysUnder } from '../../lambda/domain/bucket-layout';
import { CLEANUP_PREFIXES } from '../../lambda/domain/cleanup';
import { acknowledgeWildcardResource } from '../compliance';
import { AppFunction } from './app-function';
import { DeadLetterQueue } from './dead-letter-queue';
import type { MonitoredFlow } from './platform-monitoring';

export interface ScheduledJobsProps {
  /** Reports are written to it; the cleanup removes expired objects from it. */
  readonly uploadsBucket: IBucket;
  /** The daily counters the report reads. */
  readonly activityTable: ITable;
  /** Off deploys the schedules DISABLED. */
  readonly enabled: boolean;
  /** The time zone of the daily report's 09:00. */
  readonly timeZone: TimeZone;
  readonly cleanup: {
    readonly incomingMaxAgeDays: number;
    readonly importArtefactsMaxAgeDays: number;
    readonly maxObjectsPerRun: number;
  };
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** One job: what runs, when, with what. ScheduledJobs wires the rest. */
export interface ScheduledJobDefinition {
  /** PascalCase; names the job's function, schedule, dead-letter queue and alarms. */
  readonly name: string;
  /** The handler file, relative to lambda/handlers. */
  readonly handlerFile: string;
  readonly description: string;
  readonly schedule: ScheduleExpression;
  readonly scheduleDescription: string;
  /** What each run receives. */
  readonly input: ScheduleTargetInput;
  /** A run not delivered within this age (the scheduler retrying) goes to the dead-letter queue instead. */
  readonly maxEventAge: Duration;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /** Gives the function what it uses, through AppFunction's use* helpers (each sets a variable and its grant together). */
  readonly grant?: (fn: AppFunction) => void;
}

/** A job as deployed. */
export interface ScheduledJob {
  readonly name: string;
  readonly fn: AppFunction;
  readonly schedule: Schedule;
  /** Where its failed runs end: events the scheduler could not deliver, and invocations that failed after Lambda's retries. */
  readonly failures: DeadLetterQueue;
}

/**
 * The platform's scheduled jobs on EventBridge Scheduler, in one schedule group per environment.
 * Each job is one entry of `definitions` below; for each, this construct makes the function, its
 * schedule (with a retry policy), one dead-letter queue for both the scheduler's undeliverable
 * events and the function's failed asynchronous invocations, the grants the entry asks for and the
 * cdk-nag acknowledgements every job shares, and lists it in `monitored` for the Operations stack.
 */
export class ScheduledJobs extends Construct {
  readonly group: ScheduleGroup;
  readonly reportsTopic: Topic;
  readonly jobs: readonly ScheduledJob[];
  /** What the Operations stack alarms on and shows: every job's function and dead-letter queue. */
  readonly monitored: MonitoredFlow;
  private readonly props: ScheduledJobsProps;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    this.props = props;

    // No name: CloudFormation generates one per environment, and a stack can be deployed twice.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.reportsTopic = new Topic(this, 'ReportsTopic', {
      enforceSSL: true,
      // The AWS-managed SNS key: encrypted at rest, and subscribers such as email need no key policy.
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });

    this.jobs = this.definitions().map((definition) => this.addJob(definition));

    // The scheduler's roles (made by aws-scheduler-targets, one per target) may invoke any
    // version of their function.
    const schedulerRoles = Stack.of(this).node.children.filter((child) => child.node.id.startsWith('SchedulerRoleForTarget'));
    for (const schedulerRole of schedulerRoles) {
      for (const job of this.jobs) {
        acknowledgeWildcardResource(
          schedulerRole,
          `${job.fn.fn.functionArn}:*`,
          'Invokes any version of the scheduled function, as the Lambda target grants.',
        );
      }
    }

    this.monitored = {
      title: 'Schedules',
      functions: Object.fromEntries(this.jobs.map((job) => [job.name, job.fn.fn])),
      deadLetterQueues: Object.fromEntries(this.jobs.map((job) => [job.name, job.failures])),
    };
  }

  /** The job called `name`. */
  job(name: string): ScheduledJob {
    const job = this.jobs.find((candidate) => candidate.name === name);
    if (job === undefined)
      throw new Error(`No scheduled job is called ${name}; there are ${this.jobs.map((each) => each.name).join(', ')}`);
    return job;
  }

  get dailyReport(): AppFunction {
    return this.job('DailyReport').fn;
  }

  get weeklyCleanup(): AppFunction {
    return this.job('WeeklyCleanup').fn;
  }

  /** The jobs. Adding one is adding an entry here (and its handler). */
  private definitions(): ScheduledJobDefinition[] {
    const { uploadsBucket, activityTable, cleanup, timeZone } = this.props;
    const reportsTopic = this.reportsTopic;
    const cleanupPrefixes = Object.values(CLEANUP_PREFIXES).map((prefix) => `${prefix}*`);
    return [
      {
        name: 'DailyReport',
        handlerFile: 'daily-report.ts',
        description: "Daily report: yesterday's counters to reports/daily/ and the reports topic",
        schedule: ScheduleExpression.cron({ minute: '0', hour: '9', timeZone }),
        scheduleDescription: 'Daily report at 09:00 local time',
        // The scheduled time, not the delivery time, picks the day: a retried or late run reports the same day.
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        maxEventAge: Duration.hours(6),
        timeout: Duration.seconds(30),
        grant: (fn) => {
          fn.useTable('ACTIVITY_TABLE_NAME', activityTable, ['dynamodb:GetItem'])
            .useBucket('UPLOADS_BUCKET_NAME', uploadsBucket, { read: [keysUnder('dailyReports')], write: [keysUnder('dailyReports')] })
            .usePublish('REPORTS_TOPIC_ARN', reportsTopic);
          // Publishing to a topic encrypted with the AWS-managed aws/sns key: the key's ID is not known
          // at synth, so the grant names the account's keys; the key's own policy allows it only through SNS.
          const role = fn.fn.role!;
          Validations.of(role).acknowledge({
            id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
            reason: 'Publishing to an encrypted topic needs GenerateDataKey with any key spec: the SNS publish grant.',
          });
          acknowledgeWildcardResource(
            role,
            Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' }),
            "The AWS-managed aws/sns key's ID is not known at synth; its key policy allows use only through SNS in this account.",
          );
        },
      },
      {
        name: 'WeeklyCleanup',
        handlerFile: 'weekly-cleanup.ts',
        description: 'Weekly cleanup: expired uploads and import artefacts, bounded per run',
        schedule: ScheduleExpression.rate(Duration.days(7)),
        scheduleDescription: 'Weekly cleanup of expired objects',
        input: ScheduleTargetInput.fromObject({ dryRun: false }),
        maxEventAge: Duration.hours(24),
        timeout: Duration.minutes(10),
        environment: {
          INCOMING_MAX_AGE_DAYS: String(cleanup.incomingMaxAgeDays),
          IMPORT_ARTEFACTS_MAX_AGE_DAYS: String(cleanup.importArtefactsMaxAgeDays),
          CLEANUP_MAX_OBJECTS_PER_RUN: String(cleanup.maxObjectsPerRun),
        },
        grant: (fn) => {
          fn.useBucket('UPLOADS_BUCKET_NAME', uploadsBucket, {
            read: [...cleanupPrefixes, keysUnder('weeklyCleanup')],
            write: [keysUnder('weeklyCleanup')],
            delete: cleanupPrefixes,
          });
        },
      },
    ];
  }

  private addJob(definition: ScheduledJobDefinition): ScheduledJob {
    const removalPolicy = this.props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    const failures = new DeadLetterQueue(this, `${definition.name}DeadLetterQueue`, {
      holds: `${definition.name} runs that failed after the scheduler's and Lambda's retries`,
      // Failed runs are kept as long as the environment keeps its data.
      removalPolicy,
    });
    const fn = new AppFunction(this, definition.name, {
      handlerFile: definition.handlerFile,
      description: definition.description,
      serviceName: 'scheduled-jobs',
      // EventBridge Scheduler invokes Lambda asynchronously.
      invocation: { kind: 'async', deadLetterQueue: failures },
      timeout: definition.timeout,
      environment: definition.environment,
      logRetention: this.props.logRetention,
      logRemovalPolicy: this.props.logRemovalPolicy,
    });
    definition.grant?.(fn);
    const schedule = new Schedule(this, `${definition.name}Schedule`, {
      description: definition.scheduleDescription,
      scheduleGroup: this.group,
      schedule: definition.schedule,
      enabled: this.props.enabled,
      target: new LambdaInvoke(fn.fn, {
        input: definition.input,
        retryAttempts: 3,
        maxEventAge: definition.maxEventAge,
        deadLetterQueue: failures,
      }),
    });
    return { name: definition.name, fn, schedule, failures };
  }
}
