import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  BucketNotificationDestinationType,
  EventType,
  ObjectOwnership,
  type BucketNotificationDestinationConfig,
  type IBucket,
  type IBucketNotificationDestination,
} from 'aws-cdk-lib/aws-s3';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUCKET_LAYOUT } from '../../lambda/domain/bucket-layout';
import type { UploadsConfig } from '../config';
import { DeadLetterQueue } from './dead-letter-queue';
import { filesQueueVisibilityTimeout } from './upload-processing';

export interface UploadStorageProps {
  readonly uploads: UploadsConfig;
  /** What happens to the bucket, the queues and the topic's key when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The stateful half of upload processing: the uploads bucket, the topic its object-created events
 * go to, and the files queue (with its dead-letter queue) that the processing function consumes.
 *
 *   bucket ──incoming/*, imports/*──▶ topic (customer KMS key) ──▶ files queue ──▶ (UploadProcessing)
 *                                                              └─▶ more queues, each subscribed on its own
 *
 * The files subscription has no filter policy: the consumer acknowledges and ignores keys outside
 * `incoming/`, so no object event can be lost to a filter that does not match S3's event shape.
 */
export class UploadStorage extends Construct {
  readonly bucket: Bucket;
  /** The uploads bucket's server access logs (who read or wrote what). */
  readonly accessLogsBucket: Bucket;
  /** Encrypts the topic; S3 may use it to publish. */
  readonly topicKey: Key;
  /** Object-created events of the bucket. Subscribe further queues here (with a filter policy). */
  readonly topic: Topic;
  readonly filesQueue: Queue;
  readonly filesDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: UploadStorageProps) {
    super(scope, id);
    const { uploads, removalPolicy } = props;
    const disposable = removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: disposable,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the uploads bucket access logs; logging its own access would log the logging.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'uploads/',
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // A version ID names exactly what was uploaded, so a record stays true to its file even if
      // the key is overwritten before the event is processed.
      versioned: true,
      removalPolicy,
      // Only where the data is disposable: a dev stack can then be deleted with its bucket.
      autoDeleteObjects: disposable,
      lifecycleRules: [
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(uploads.abortIncompleteMultipartUploadDays),
        },
        {
          // Deleting from a versioned bucket only hides an object behind a delete marker: the
          // weekly cleanup's deletions take effect when the hidden versions expire here.
          id: 'ExpireDeletedVersions',
          noncurrentVersionExpiration: Duration.days(uploads.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
        },
      ],
    });

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the uploads topic; S3 publishes object-created events with it',
      enableKeyRotation: true,
      removalPolicy,
    });
    // S3 publishes to an encrypted topic only if the key lets it; only for this bucket, in this account.
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowS3ToPublishToTheEncryptedTopic',
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
        },
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      masterKey: this.topicKey,
      // Denies sns:Publish over plain HTTP.
      enforceSSL: true,
    });

    for (const prefix of [BUCKET_LAYOUT.incoming, BUCKET_LAYOUT.imports]) {
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, new AccountPinnedTopicDestination(this.topic), { prefix });
    }
    // The CDK's own (singleton) function that writes bucket notification settings at deploy time.
    const notificationsHandler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler !== undefined) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The CDK's bucket-notifications handler runs only during deployments; its role and logging are the CDK's, not ours to scope.",
      });
    }

    this.filesDeadLetterQueue = new DeadLetterQueue(this, 'FilesDeadLetterQueue', {
      holds: 'upload events the files consumer failed on every delivery, and events SNS could not deliver to the files queue',
      removalPolicy,
    });
    this.filesQueue = new Queue(this, 'FilesQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: filesQueueVisibilityTimeout(uploads),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.filesDeadLetterQueue, maxReceiveCount: uploads.maxReceiveCount },
      removalPolicy,
    });
    // The SNS envelope is kept (no raw delivery): it carries the topic and SNS message ID for tracing.
    // Events SNS cannot deliver to the queue (a policy or key mistake) wait in the DLQ too.
    this.topic.addSubscription(
      new SqsSubscription(this.filesQueue, { rawMessageDelivery: false, deadLetterQueue: this.filesDeadLetterQueue }),
    );
  }
}

/**
 * A topic as the destination of bucket notifications, as `SnsDestination`, but pinned to the
 * bucket's account too: `SnsDestination` allows S3 with only `aws:SourceArn`, and a bucket ARN
 * names no account (a bucket of the same name in another account would match).
 */
class AccountPinnedTopicDestination implements IBucketNotificationDestination {
  constructor(private readonly topic: ITopic) {}

  bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        },
      }),
    );
    return { arn: this.topic.topicArn, type: BucketNotificationDestinationType.TOPIC, dependencies: [this.topic] };
  }
}
