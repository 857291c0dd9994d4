import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { FilterOrPolicy, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { retainsData, type EnvironmentConfig } from './config';
import { BUCKET_LAYOUT } from '../lambda/domain/bucket-layout';
import { DeadLetterQueue } from './constructs/dead-letter-queue';
import { EXPORTS_READ, Identity, MACHINE_CLIENTS, withoutScope } from './constructs/identity';
import { UploadStorage } from './constructs/upload-storage';

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Everything that holds data, apart from what processes it, so stateless stacks can be
 * replaced, renamed or deleted freely. Logical IDs here are pinned by a test
 * (test/infra/stateful-stack.test.ts): changing one replaces the resource and loses its data.
 */
export class StatefulStack extends Stack {
  readonly usersTable: Table;
  /** Daily activity counters (`pk` = `DAY#YYYY-MM-DD`), read by the daily report. */
  readonly activityTable: Table;
  /** One item per uploaded object version (`objectId` = `<bucket>/<key>`, `versionId`). */
  readonly filesTable: Table;
  /** The uploads bucket, its topic of object-created events, and the files queue with its DLQ. */
  readonly uploads: UploadStorage;
  /** One item per import (`id` = the import ID = its execution name): status, counts, failure. */
  readonly importsTable: Table;
  /** S3 events for `imports/`, from the uploads topic; consumed by the start-import function. */
  readonly importsQueue: Queue;
  readonly importsDeadLetterQueue: Queue;
  /**
   * Progress of Fargate import jobs (`importId` → last fully loaded line and counts), so a retried
   * or restarted task resumes where the last one stopped.
   */
  readonly importCheckpointsTable: Table;
  /**
   * Who may call the platform: the Cognito user pool, its scopes and machine clients. Stateful:
   * replacing the pool would change every client ID and secret callers hold.
   */
  readonly identity: Identity;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: StatefulStackProps,
  ) {
    super(scope, id, props);

    this.usersTable = this.dataTable('UsersTable', { partitionKey: { name: 'id', type: AttributeType.STRING } });
    this.activityTable = this.dataTable('ActivityTable', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    this.filesTable = this.dataTable('FilesTable', {
      partitionKey: { name: 'objectId', type: AttributeType.STRING },
      sortKey: { name: 'versionId', type: AttributeType.STRING },
      // Records expire after config.uploads.fileRecordRetentionDays: DynamoDB deletes them, free.
      timeToLiveAttribute: 'expiresAt',
    });

    this.importsTable = this.dataTable('ImportsTable', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      // Finished imports expire after config.imports.recordRetentionDays: DynamoDB deletes them, free.
      timeToLiveAttribute: 'expiresAt',
    });
    this.importCheckpointsTable = this.dataTable('ImportCheckpointsTable', {
      partitionKey: { name: 'importId', type: AttributeType.STRING },
    });

    this.uploads = new UploadStorage(this, 'Uploads', {
      uploads: props.config.uploads,
      removalPolicy: props.config.dataRemovalPolicy,
    });

    this.identity = new Identity(this, 'Identity', {
      domainPrefix: `user-data-${props.config.envName}-${props.config.account}`,
      // Each M2M client costs about $6 a month: no export reader where there is no export service.
      clients: props.config.containers.exportServiceEnabled ? MACHINE_CLIENTS : withoutScope(MACHINE_CLIENTS, EXPORTS_READ),
      removalPolicy: props.config.dataRemovalPolicy,
      deletionProtection: retainsData(props.config),
    });

    this.importsDeadLetterQueue = new DeadLetterQueue(this, 'ImportsDeadLetterQueue', {
      holds: 'import events that start-import failed on every delivery, and events SNS could not deliver to the imports queue',
      removalPolicy: props.config.dataRemovalPolicy,
    });
    this.importsQueue = new Queue(this, 'ImportsQueue', {
      // SQS-managed encryption: SNS can deliver into it, unlike the AWS-managed KMS key.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least 6 x the start-import function's timeout (30 s), as Lambda's SQS guidance asks.
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: this.importsDeadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: props.config.dataRemovalPolicy,
    });
    // The filter reads the S3 event in the message body: only keys under imports/ reach this queue
    // (start-import also ignores any other key, so a filter mismatch could never start a wrong import).
    this.uploads.topic.addSubscription(
      new SqsSubscription(this.importsQueue, {
        rawMessageDelivery: false,
        deadLetterQueue: this.importsDeadLetterQueue,
        filterPolicyWithMessageBody: {
          Records: FilterOrPolicy.policy({
            s3: FilterOrPolicy.policy({
              object: FilterOrPolicy.policy({
                key: FilterOrPolicy.filter(SubscriptionFilter.stringFilter({ matchPrefixes: [BUCKET_LAYOUT.imports] })),
              }),
            }),
          }),
        },
      }),
    );
  }

  /** A table with the environment's data protection: every table of the platform is made here. */
  private dataTable(id: string, props: Pick<TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'>): Table {
    const { config } = this.props;
    const table = new Table(this, id, {
      ...props,
      billingMode: BillingMode.PAY_PER_REQUEST,
      // Encrypted at rest with an AWS-owned key: no KMS charges, no key policy to get wrong.
      encryption: TableEncryption.DEFAULT,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: retainsData(config),
      removalPolicy: config.dataRemovalPolicy,
    });
    if (!config.pointInTimeRecovery) {
      Validations.of(table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: `Point-in-time recovery is off in ${config.envName} by its config: its data is disposable test data, and PITR costs per GB-month.`,
      });
    }
    return table;
  }
}
