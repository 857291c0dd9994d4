import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import type { ImportJob } from './constructs/import-job';
import { ImportPipeline } from './constructs/import-pipeline';
import { ScheduledJobs } from './constructs/scheduled-jobs';

export interface JobsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly uploadsBucket: IBucket;
  readonly importsQueue: IQueue;
  readonly usersTable: ITable;
  readonly activityTable: ITable;
  readonly importsTable: ITable;
  /** Runs imports too large for Lambda (ContainersStack.importJob). */
  readonly importJob: ImportJob;
  /** The import job's checkpoints, where the outcome of a job is read. */
  readonly importCheckpointsTable: ITable;
}

/** Background work, stateless: the import pipeline and the scheduled jobs. */
export class JobsStack extends Stack {
  readonly importPipeline: ImportPipeline;
  readonly scheduledJobs: ScheduledJobs;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logs = { logRetention: config.logRetention, logRemovalPolicy: config.dataRemovalPolicy };

    this.importPipeline = new ImportPipeline(this, 'ImportPipeline', {
      uploadsBucket: props.uploadsBucket,
      importsQueue: props.importsQueue,
      usersTable: props.usersTable,
      importsTable: props.importsTable,
      activityTable: props.activityTable,
      largeImportThresholdBytes: config.imports.largeImportThresholdBytes,
      importJob: props.importJob,
      importCheckpointsTable: props.importCheckpointsTable,
      recordRetentionDays: config.imports.recordRetentionDays,
      ...logs,
    });

    this.scheduledJobs = new ScheduledJobs(this, 'ScheduledJobs', {
      uploadsBucket: props.uploadsBucket,
      activityTable: props.activityTable,
      enabled: config.schedules.enabled,
      timeZone: config.schedules.timeZone,
      cleanup: config.cleanup,
      ...logs,
    });

    new CfnOutput(this, 'ImportStateMachineArn', { value: this.importPipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ReportsTopicArn', { value: this.scheduledJobs.reportsTopic.topicArn });
  }
}
