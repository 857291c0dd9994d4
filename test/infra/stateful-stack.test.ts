import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config';
import { synthesizedApp } from '../support/shared-synthesis';
import { templateOf } from '../support/synth';

const stages = synthesizedApp();
const stateful = (env: EnvironmentName) => templateOf(stages[env].stateful);

/**
 * Resource types that hold data. Their logical IDs are pinned below: CloudFormation replaces a
 * resource whose logical ID changes, and a replaced table or bucket starts empty.
 */
const STATEFUL_TYPES = ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::KMS::Key'];

const PINNED_LOGICAL_IDS = [
  'ActivityTable0B58B12C',
  'FilesTable1399FAA4',
  'ImportCheckpointsTable9B6B4333',
  'ImportsDeadLetterQueueC4538ABF',
  'ImportsQueueF125E945',
  'ImportsTable923D75D8',
  'UploadsAccessLogsB2D59324',
  'UploadsBucketC4B27CC7',
  'UploadsFilesDeadLetterQueueBB6E087A',
  'UploadsFilesQueue354AF880',
  'UploadsTopicKey63BA75FD',
  'UsersTable9725E9C8',
];

describe('stateful stack', () => {
  it.each(ENVIRONMENT_NAMES)('keeps the logical IDs of its data stores in %s (a change would replace them)', (env) => {
    const resources = templateOf(stages[env].stateful).toJSON().Resources as Record<string, { Type: string }>;
    const statefulIds = Object.entries(resources)
      .filter(([, resource]) => STATEFUL_TYPES.includes(resource.Type))
      .map(([id]) => id)
      .sort();

    expect(statefulIds).toEqual(PINNED_LOGICAL_IDS);
  });

  it('keeps tables on deletion and replacement outside dev, with deletion protection and point-in-time recovery', () => {
    for (const env of ['staging', 'prod'] as const) {
      for (const table of Object.values(stateful(env).findResources('AWS::DynamoDB::Table'))) {
        expect(table).toMatchObject({
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
          Properties: {
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            BillingMode: 'PAY_PER_REQUEST',
          },
        });
      }
    }
  });

  it('lets dev tables go with the stack, without point-in-time recovery', () => {
    for (const table of Object.values(stateful('dev').findResources('AWS::DynamoDB::Table'))) {
      expect(table).toMatchObject({
        DeletionPolicy: 'Delete',
        Properties: { DeletionProtectionEnabled: false, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } },
      });
    }
  });

  it('keys users by id and daily activity by pk', () => {
    stateful('dev').hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    stateful('dev').hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });
});
