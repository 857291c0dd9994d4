import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keysUnder } from '../../lambda/domain/bucket-layout';
import type { UploadsConfig } from '../config';
import { AppFunction } from './app-function';
import { monitoredQueue } from './monitored-queue';
import type { MonitoredFlow } from './platform-monitoring';

/**
 * The files queue's visibility timeout: six times the consumer's timeout plus its batching window,
 * as AWS advises, so a message is not delivered again while an invocation (or its retries by the
 * poller) may still be working on it. The queue (stateful stack) and the consumer (uploads stack)
 * both derive their settings from the same config through this function.
 */
export function filesQueueVisibilityTimeout(uploads: UploadsConfig): Duration {
  return Duration.seconds(6 * uploads.functionTimeout.toSeconds() + uploads.maxBatchingWindow.toSeconds());
}

export interface UploadProcessingProps {
  readonly uploads: UploadsConfig;
  /** The bucket the events are about; the function reads object headers from it. */
  readonly bucket: IBucket;
  /** The queue of object-created events (SNS notifications wrapping S3 events). */
  readonly filesQueue: IQueue;
  readonly filesTable: ITable;
  /** Where new files are counted for the daily report. */
  readonly activityTable: ITable;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Consumes the files queue: `process-upload` records each uploaded file once in the files table.
 * Batches with partial failures (one bad record never fails its batch-mates), bounded concurrency
 * so a burst of uploads cannot exhaust the account's Lambda concurrency. Its DLQ's alarm is the
 * Operations stack's, from `monitored`.
 */
export class UploadProcessing extends Construct {
  readonly processUpload: AppFunction;
  /** What the Operations stack alarms on and shows: the consumer, its queue and the queue's DLQ. */
  readonly monitored: MonitoredFlow;

  constructor(scope: Construct, id: string, props: UploadProcessingProps) {
    super(scope, id);
    const { uploads } = props;

    this.processUpload = new AppFunction(this, 'ProcessUpload', {
      handlerFile: 'process-upload.ts',
      description: 'Records each uploaded file (metadata, image dimensions) once in the files table',
      serviceName: 'uploads',
      invocation: { kind: 'sqs' },
      timeout: uploads.functionTimeout,
      environment: { FILE_RECORD_RETENTION_DAYS: String(uploads.fileRecordRetentionDays) },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    })
      .useTable('FILES_TABLE_NAME', props.filesTable, ['dynamodb:PutItem'])
      .useTable('ACTIVITY_TABLE_NAME', props.activityTable, ['dynamodb:UpdateItem'])
      .readObjects(props.bucket, keysUnder('incoming'));

    this.processUpload.consumeQueue(props.filesQueue, {
      batchSize: uploads.batchSize,
      maxBatchingWindow: uploads.maxBatchingWindow,
      maxConcurrency: uploads.maxConcurrency,
    });

    this.monitored = {
      title: 'Uploads',
      functions: { ProcessUpload: this.processUpload.fn },
      queues: [monitoredQueue('Files', props.filesQueue)],
    };
  }
}
