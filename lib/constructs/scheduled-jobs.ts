import { Duration, RemovalPolicy, Stack, Validations, type TimeZone } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLEANUP_PREFIXES } from '../../lambda/domain/cleanup';
import { DAILY_REPORTS_PREFIX } from '../../lambda/domain/daily-report';
import { acknowledgeWildcardResource } from '../compliance';
import { AppFunction } from './app-function';
import { DeadLetterQueue } from './dead-letter-queue';

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

/**
 * The platform's scheduled jobs on EventBridge Scheduler, in one schedule group per environment:
 *
 *   daily report     cron(0 9 * * ? *) in the configured time zone
 *   weekly cleanup   rate(7 days)
 *
 * Each schedule retries a failed invocation and then sends the event to its own dead-letter
 * queue, which raises an alarm.
 */
export class ScheduledJobs extends Construct {
  readonly group: ScheduleGroup;
  readonly reportsTopic: Topic;
  readonly dailyReport: AppFunction;
  readonly weeklyCleanup: AppFunction;
  readonly dailyReportSchedule: Schedule;
  readonly weeklyCleanupSchedule: Schedule;
  /** Where each job's failed runs end (undeliverable events and failed invocations). */
  readonly dailyReportFailures: DeadLetterQueue;
  readonly weeklyCleanupFailures: DeadLetterQueue;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    const logs = { logRetention: props.logRetention, logRemovalPolicy: props.logRemovalPolicy };
    this.removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;

    // No name: CloudFormation generates one per environment, and a stack can be deployed twice.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.reportsTopic = new Topic(this, 'ReportsTopic', {
      enforceSSL: true,
      // The AWS-managed SNS key: encrypted at rest, and subscribers such as email need no key policy.
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });

    // One DLQ per job holds both kinds of failure: events the scheduler could not deliver after
    // its retries, and invocations that failed in the function after Lambda's asynchronous retries.
    const dailyReportFailures = (this.dailyReportFailures = this.deadLetterQueue('DailyReport'));
    const weeklyCleanupFailures = (this.weeklyCleanupFailures = this.deadLetterQueue('WeeklyCleanup'));

    this.dailyReport = new AppFunction(this, 'DailyReport', {
      handlerFile: 'daily-report.ts',
      description: "Daily report: yesterday's counters to reports/daily/ and the reports topic",
      serviceName: 'scheduled-jobs',
      // EventBridge Scheduler invokes Lambda asynchronously.
      invocation: { kind: 'async', deadLetterQueue: dailyReportFailures },
      timeout: Duration.seconds(30),
      ...logs,
    })
      .useTable('ACTIVITY_TABLE_NAME', props.activityTable, ['dynamodb:GetItem'])
      .useBucket('UPLOADS_BUCKET_NAME', props.uploadsBucket, { read: [`${DAILY_REPORTS_PREFIX}*`], write: [`${DAILY_REPORTS_PREFIX}*`] })
      .usePublish('REPORTS_TOPIC_ARN', this.reportsTopic);
    // Publishing to a topic encrypted with the AWS-managed aws/sns key: the key's ID is not known
    // at synth, so the grant names the account's keys; the key's own policy allows it only through SNS.
    const reportRole = this.dailyReport.fn.role!;
    Validations.of(reportRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Publishing to an encrypted topic needs GenerateDataKey with any key spec: the SNS publish grant.',
    });
    acknowledgeWildcardResource(
      reportRole,
      Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' }),
      "The AWS-managed aws/sns key's ID is not known at synth; its key policy allows use only through SNS in this account.",
    );

    const checkpoint = 'jobs/weekly-cleanup/*';
    const cleanupPrefixes = Object.values(CLEANUP_PREFIXES).map((prefix) => `${prefix}*`);
    this.weeklyCleanup = new AppFunction(this, 'WeeklyCleanup', {
      handlerFile: 'weekly-cleanup.ts',
      description: 'Weekly cleanup: expired uploads and import artefacts, bounded per run',
      serviceName: 'scheduled-jobs',
      invocation: { kind: 'async', deadLetterQueue: weeklyCleanupFailures },
      timeout: Duration.minutes(10),
      environment: {
        INCOMING_MAX_AGE_DAYS: String(props.cleanup.incomingMaxAgeDays),
        IMPORT_ARTEFACTS_MAX_AGE_DAYS: String(props.cleanup.importArtefactsMaxAgeDays),
        CLEANUP_MAX_OBJECTS_PER_RUN: String(props.cleanup.maxObjectsPerRun),
      },
      ...logs,
    }).useBucket('UPLOADS_BUCKET_NAME', props.uploadsBucket, {
      read: [...cleanupPrefixes, checkpoint],
      write: [checkpoint],
      delete: cleanupPrefixes,
    });

    this.dailyReportSchedule = this.schedule('DailyReport', {
      description: 'Daily report at 09:00 local time',
      expression: ScheduleExpression.cron({ minute: '0', hour: '9', timeZone: props.timeZone }),
      fn: this.dailyReport,
      deadLetterQueue: dailyReportFailures,
      // The scheduled time, not the delivery time, picks the day: a retried or late run reports the same day.
      input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
      enabled: props.enabled,
      maxEventAge: Duration.hours(6),
    });
    this.weeklyCleanupSchedule = this.schedule('WeeklyCleanup', {
      description: 'Weekly cleanup of expired objects',
      expression: ScheduleExpression.rate(Duration.days(7)),
      fn: this.weeklyCleanup,
      deadLetterQueue: weeklyCleanupFailures,
      input: ScheduleTargetInput.fromObject({ dryRun: false }),
      enabled: props.enabled,
      maxEventAge: Duration.hours(24),
    });

    // The scheduler's roles (made by aws-scheduler-targets, one per target) may invoke any
    // version of their function.
    const schedulerRoles = Stack.of(this).node.children.filter((child) => child.node.id.startsWith('SchedulerRoleForTarget'));
    for (const schedulerRole of schedulerRoles) {
      for (const job of [this.dailyReport, this.weeklyCleanup]) {
        acknowledgeWildcardResource(schedulerRole, `${job.fn.functionArn}:*`, 'Invokes any version of the scheduled function, as the Lambda target grants.');
      }
    }
  }

  private schedule(
    id: string,
    options: {
      description: string;
      expression: ScheduleExpression;
      fn: AppFunction;
      input: ScheduleTargetInput;
      enabled: boolean;
      maxEventAge: Duration;
      deadLetterQueue: IQueue;
    },
  ): Schedule {
    const { deadLetterQueue } = options;
    return new Schedule(this, `${id}Schedule`, {
      description: options.description,
      scheduleGroup: this.group,
      schedule: options.expression,
      enabled: options.enabled,
      target: new LambdaInvoke(options.fn.fn, {
        input: options.input,
        retryAttempts: 3,
        maxEventAge: options.maxEventAge,
        deadLetterQueue,
      }),
    });
  }

  private deadLetterQueue(job: string): DeadLetterQueue {
    return new DeadLetterQueue(this, `${job}DeadLetterQueue`, {
      holds: `${job} runs that failed after the scheduler's and Lambda's retries`,
      // Failed runs are kept as long as the environment keeps its data.
      removalPolicy: this.removalPolicy,
    });
  }
}
