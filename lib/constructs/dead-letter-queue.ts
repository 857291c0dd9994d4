import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What the queue catches, for its description in findings and reviews. */
  readonly holds: string;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where failures end: every DLQ of the platform is one of these. Encrypted with SQS-managed keys
 * (SNS, EventBridge Scheduler and Lambda can all deliver into them, unlike the AWS-managed KMS
 * key), TLS-only, and keeping messages 14 days, the most SQS allows, for a person to look at them
 * and redrive them. Alarms watch them (OperationsStack).
 */
export class DeadLetterQueue extends Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    const reason = `This is the dead-letter queue for ${props.holds}: the end of the failure path, alarmed and kept 14 days for redrive.`;
    Validations.of(this).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason }, { id: 'AwsSolutions-SQS3', reason });
  }
}
