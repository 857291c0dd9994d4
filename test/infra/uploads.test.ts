import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { SynthesizedStage } from '../support/shared-synthesis';
import { ENVIRONMENTS, type EnvironmentName } from '../../lib/config';
import { synthesizedApp } from '../support/shared-synthesis';
import { templateOf } from '../support/synth';

const stages = synthesizedApp();

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function only(template: Template, type: string, logicalIdPrefix = '') {
  const matches = Object.entries(resourcesOf(template, type)).filter(([id]) => id.startsWith(logicalIdPrefix));
  expect(matches).toHaveLength(1);
  return { id: matches[0][0], ...matches[0][1] };
}

const stateful = (stage: SynthesizedStage) => templateOf(stage.stateful);
const uploads = (stage: SynthesizedStage) => templateOf(stage.uploads);

/** The statements of the policies attached to the process-upload function's role. */
function functionStatements(stage: SynthesizedStage): Record<string, any>[] {
  const policies = resourcesOf(uploads(stage), 'AWS::IAM::Policy');
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, any>[]);
}

const tlsDeny = expect.objectContaining({
  Effect: 'Deny',
  Action: 'sqs:*',
  Principal: { AWS: '*' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

describe('uploads bucket', () => {
  const dev = stages.dev;

  it('is encrypted, versioned, and blocks public access', () => {
    stateful(dev).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('denies every request over plain HTTP', () => {
    const policy = only(stateful(dev), 'AWS::S3::BucketPolicy', 'UploadsBucketPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it.each(['dev', 'staging', 'prod'] as EnvironmentName[])('aborts abandoned multipart uploads after the days %s configures', (name) => {
    stateful(stages[name]).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: ENVIRONMENTS[name].uploads.abortIncompleteMultipartUploadDays },
            Status: 'Enabled',
          }),
        ]),
      },
    });
  });

  it.each(['staging', 'prod'] as EnvironmentName[])('is retained with its queues and key in %s', (name) => {
    for (const type of ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::KMS::Key', 'AWS::DynamoDB::Table']) {
      for (const resource of Object.values(resourcesOf(stateful(stages[name]), type))) {
        expect(resource.DeletionPolicy).toBe('Retain');
      }
    }
  });

  it('publishes object-created events under incoming/ and imports/ to the topic', () => {
    const topic = only(stateful(dev), 'AWS::SNS::Topic', 'Uploads');
    const notifications = only(stateful(dev), 'Custom::S3BucketNotifications');
    const configurations = notifications.Properties.NotificationConfiguration.TopicConfigurations as Record<string, any>[];
    expect(
      configurations.map((configuration) => [configuration.Events, configuration.Filter.Key.FilterRules, configuration.TopicArn]),
    ).toEqual([
      [['s3:ObjectCreated:*'], [{ Name: 'prefix', Value: 'incoming/' }], { Ref: topic.id }],
      [['s3:ObjectCreated:*'], [{ Name: 'prefix', Value: 'imports/' }], { Ref: topic.id }],
    ]);
  });
});

describe('uploads topic', () => {
  const template = stateful(stages.dev);

  it('is encrypted with a rotated customer key that S3 may use for this bucket only', () => {
    const key = only(template, 'AWS::KMS::Key', 'Uploads');
    const topic = only(template, 'AWS::SNS::Topic', 'Uploads');
    const bucket = only(template, 'AWS::S3::Bucket', 'UploadsBucket');
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key.id, 'Arn'] });
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'AllowS3ToPublishToTheEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': ENVIRONMENTS.dev.account },
        ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket.id, 'Arn'] } },
      },
    });
    const unconditionedForS3 = (key.Properties.KeyPolicy.Statement as Record<string, any>[]).filter(
      (statement) => JSON.stringify(statement.Principal).includes('s3.amazonaws.com') && statement.Condition === undefined,
    );
    expect(unconditionedForS3).toEqual([]);
  });

  it('lets only the bucket publish, in this account, and only over TLS', () => {
    const bucket = only(template, 'AWS::S3::Bucket', 'UploadsBucket');
    const policy = only(template, 'AWS::SNS::TopicPolicy', 'Uploads');
    const statements = policy.Properties.PolicyDocument.Statement as Record<string, any>[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sns:Publish',
        Principal: { Service: 's3.amazonaws.com' },
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket.id, 'Arn'] } },
          // A bucket ARN names no account: a bucket of the same name elsewhere would match without this.
          StringEquals: { 'aws:SourceAccount': '111111111111' },
        },
      }),
    ]);
  });
});

describe('files queue', () => {
  const template = stateful(stages.dev);
  const queue = () => only(template, 'AWS::SQS::Queue', 'UploadsFilesQueue');
  const deadLetters = () => only(template, 'AWS::SQS::Queue', 'UploadsFilesDeadLetterQueue');

  it('is subscribed to the topic with the SNS envelope kept (no raw delivery), no filter, and undeliverable events kept in the DLQ', () => {
    const topic = only(template, 'AWS::SNS::Topic', 'Uploads');
    const subscription = only(template, 'AWS::SNS::Subscription', 'UploadsFilesQueue');
    expect(subscription.Properties).toEqual({
      Protocol: 'sqs',
      TopicArn: { Ref: topic.id },
      Endpoint: { 'Fn::GetAtt': [queue().id, 'Arn'] },
      RawMessageDelivery: false,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters().id, 'Arn'] } },
    });
  });

  it('and its DLQ use SQS-managed encryption, which SNS can deliver into', () => {
    expect(queue().Properties.SqsManagedSseEnabled).toBe(true);
    expect(deadLetters().Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue().Properties).not.toHaveProperty('KmsMasterKeyId');
  });

  it('and its DLQ deny plain-HTTP access', () => {
    for (const prefix of ['UploadsFilesQueuePolicy', 'UploadsFilesDeadLetterQueuePolicy']) {
      const policy = only(template, 'AWS::SQS::QueuePolicy', prefix);
      expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([tlsDeny]));
    }
  });

  it('accepts messages only from the uploads topic', () => {
    const topic = only(template, 'AWS::SNS::Topic', 'Uploads');
    const policy = only(template, 'AWS::SQS::QueuePolicy', 'UploadsFilesQueuePolicy');
    const allows = (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).filter(
      (statement) => statement.Effect === 'Allow',
    );
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'sns.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic.id } } },
      }),
    ]);
  });

  it.each(['dev', 'staging', 'prod'] as EnvironmentName[])('moves a message to the DLQ after at least 5 receives in %s', (name) => {
    const t = stateful(stages[name]);
    const files = only(t, 'AWS::SQS::Queue', 'UploadsFilesQueue');
    const dlq = only(t, 'AWS::SQS::Queue', 'UploadsFilesDeadLetterQueue');
    expect(files.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlq.id, 'Arn'] });
    expect(files.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(dlq.Properties.MessageRetentionPeriod).toBeGreaterThan(files.Properties.MessageRetentionPeriod);
  });

  it.each(['dev', 'staging', 'prod'] as EnvironmentName[])(
    'has a visibility timeout of at least 6 × the function timeout plus the batching window in %s',
    (name) => {
      const stage = stages[name];
      const files = only(stateful(stage), 'AWS::SQS::Queue', 'UploadsFilesQueue');
      const fn = only(uploads(stage), 'AWS::Lambda::Function', 'UploadProcessingProcessUpload');
      const mapping = only(uploads(stage), 'AWS::Lambda::EventSourceMapping');
      const window = mapping.Properties.MaximumBatchingWindowInSeconds ?? 0;
      expect(files.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout + window);
    },
  );
});

describe('process-upload function', () => {
  it.each(['dev', 'staging', 'prod'] as EnvironmentName[])(
    'consumes the files queue in batches with partial failures and bounded concurrency in %s',
    (name) => {
      const config = ENVIRONMENTS[name].uploads;
      const mapping = only(uploads(stages[name]), 'AWS::Lambda::EventSourceMapping');
      expect(mapping.Properties).toMatchObject({
        BatchSize: config.batchSize,
        MaximumBatchingWindowInSeconds: config.maxBatchingWindow.toSeconds(),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: config.maxConcurrency },
      });
      expect(JSON.stringify(mapping.Properties.EventSourceArn)).toContain('UploadsFilesQueue');
    },
  );

  it('gets the table names from the stateful stack, not hard-coded names', () => {
    const fn = only(uploads(stages.dev), 'AWS::Lambda::Function', 'UploadProcessingProcessUpload');
    const variables = fn.Properties.Environment.Variables;
    expect(JSON.stringify(variables.FILES_TABLE_NAME)).toContain('FilesTable');
    expect(JSON.stringify(variables.ACTIVITY_TABLE_NAME)).toContain('ActivityTable');
  });

  it('may read objects under incoming/, list key names, put files, count activity and consume its queue, and nothing more', () => {
    const statements = functionStatements(stages.dev).map((statement) => ({
      actions: [statement.Action].flat().sort(),
      resource: JSON.stringify(statement.Resource),
    }));
    expect(statements).toEqual([
      { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resource: expect.stringMatching(/ProcessUploadLogs[0-9A-F]{8}","Arn/) },
      { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resource: '"*"' },
      { actions: ['dynamodb:PutItem'], resource: expect.stringMatching(/FilesTable[0-9A-F]{8}Arn/) },
      { actions: ['dynamodb:UpdateItem'], resource: expect.stringMatching(/ActivityTable[0-9A-F]{8}Arn/) },
      {
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resource: expect.stringMatching(/UploadsBucket[0-9A-F]{8}Arn.*"\/incoming\/\*"/),
      },
      // Listing key names lets S3 answer 404, not 403, for an object deleted before processing.
      { actions: ['s3:ListBucket'], resource: expect.stringMatching(/UploadsBucket[0-9A-F]{8}Arn/) },
      {
        actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        resource: expect.stringMatching(/UploadsFilesQueue[0-9A-F]{8}Arn/),
      },
    ]);
  });
});

describe('files table', () => {
  it('expires records by TTL, with the retention the consumer is told', () => {
    stateful(stages.prod).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'objectId', KeyType: 'HASH' },
        { AttributeName: 'versionId', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const fn = only(uploads(stages.prod), 'AWS::Lambda::Function', 'UploadProcessingProcessUpload');
    expect(fn.Properties.Environment.Variables.FILE_RECORD_RETENTION_DAYS).toBe('365');
  });

  it('is keyed on the object (bucket and key) and its version', () => {
    stateful(stages.dev).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'objectId', KeyType: 'HASH' },
        { AttributeName: 'versionId', KeyType: 'RANGE' },
      ],
    });
  });

  it('keeps its logical ID, and so its data, along with the bucket and queues', () => {
    const ids = Object.keys(stateful(stages.prod).toJSON().Resources);
    expect(ids).toEqual(
      expect.arrayContaining([
        'FilesTable1399FAA4',
        'UploadsBucketC4B27CC7',
        'UploadsFilesQueue354AF880',
        'UploadsFilesDeadLetterQueueBB6E087A',
        'UploadsTopicKey63BA75FD',
        'UploadsTopic2C41EFE7',
      ]),
    );
  });
});
