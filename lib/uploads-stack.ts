import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import { UploadProcessing } from './constructs/upload-processing';

export interface UploadsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly uploadsBucket: IBucket;
  readonly filesQueue: IQueue;
  readonly filesTable: ITable;
  readonly activityTable: ITable;
}

/** Upload processing, stateless: the consumer of the files queue. The bucket, topic and queues live in StatefulStack. */
export class UploadsStack extends Stack {
  readonly processing: UploadProcessing;

  constructor(scope: Construct, id: string, props: UploadsStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.processing = new UploadProcessing(this, 'UploadProcessing', {
      uploads: config.uploads,
      bucket: props.uploadsBucket,
      filesQueue: props.filesQueue,
      filesTable: props.filesTable,
      activityTable: props.activityTable,
      logRetention: config.logRetention,
      logRemovalPolicy: config.dataRemovalPolicy,
    });

    new CfnOutput(this, 'ProcessUploadFunctionName', { value: this.processing.processUpload.fn.functionName });
  }
}
