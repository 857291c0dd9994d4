import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from 'aws-cdk-lib/aws-s3';
import { SnsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { FilterOrPolicy, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { retainsData, type EnvironmentConfig } from './config';

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Everything that holds data, apart from what processes it, so stateless stacks can be
 * replaced, renamed or deleted freely. Logical IDs here are pinned by a test
 * (test/infra/stateful-ids.test.ts): changing one replaces the resource and loses its data.
 */
export class StatefulStack extends Stack {
  readonly usersTable: Table;
  /** Daily activity counters (`pk` = `DAY#YYYY-MM-DD`), read by the daily report. */
  readonly activityTable: Table;
  /** One item per import (`id` = the import ID = its execution name): status, counts, failure. */
  readonly importsTable: Table;
  /** S3 events for `imports/`, from the upload events topic; consumed by the start-import function. */
  readonly importsQueue: Queue;
  readonly importsDeadLetterQueue: Queue;
  readonly uploadsBucket: Bucket;
  readonly uploadEventsTopic: Topic;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const tableDefaults = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Encrypted at rest with an AWS-owned key: no KMS charges, no key policy to get wrong.
      encryption: TableEncryption.DEFAULT,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: retainsData(config),
      removalPolicy: config.dataRemovalPolicy,
    };

    this.usersTable = new Table(this, 'UsersTable', {
      ...tableDefaults,
      partitionKey: { name: 'id', type: AttributeType.STRING },
    });
    this.activityTable = new Table(this, 'ActivityTable', {
      ...tableDefaults,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
    });

    this.importsTable = new Table(this, 'ImportsTable', {
      ...tableDefaults,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      // Finished imports expire after config.imports.recordRetentionDays: DynamoDB deletes them, free.
      timeToLiveAttribute: 'expiresAt',
    });

    // TODO(merge): replaced by the upload fan-out's bucket/topic
    const uploadEventsKey = new Key(this, 'UploadEventsKey', {
      description: 'Encrypts the upload events topic; S3 may use it to publish (added by the notification)',
      enableKeyRotation: true,
      removalPolicy: config.dataRemovalPolicy,
    });
    this.uploadEventsTopic = new Topic(this, 'UploadEventsTopic', { masterKey: uploadEventsKey, enforceSSL: true });
    this.uploadsBucket = new Bucket(this, 'UploadsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: config.dataRemovalPolicy,
    });
    this.uploadsBucket.addEventNotification(EventType.OBJECT_CREATED, new SnsDestination(this.uploadEventsTopic), { prefix: 'imports/' });
    // TODO(merge): end of the placeholder

    const queueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };
    this.importsDeadLetterQueue = new Queue(this, 'ImportsDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });
    this.importsQueue = new Queue(this, 'ImportsQueue', {
      ...queueDefaults,
      // At least 6 x the start-import function's timeout (30 s), as Lambda's SQS guidance asks.
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: this.importsDeadLetterQueue, maxReceiveCount: 5 },
    });
    // SQS-managed encryption (not the AWS-managed KMS key, which SNS cannot use to deliver).
    // The filter reads the S3 event in the message body: only keys under imports/ reach this queue.
    this.uploadEventsTopic.addSubscription(
      new SqsSubscription(this.importsQueue, {
        filterPolicyWithMessageBody: {
          Records: FilterOrPolicy.policy({
            s3: FilterOrPolicy.policy({
              object: FilterOrPolicy.policy({
                key: FilterOrPolicy.filter(SubscriptionFilter.stringFilter({ matchPrefixes: ['imports/'] })),
              }),
            }),
          }),
        },
      }),
    );
  }
}
