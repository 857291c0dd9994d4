import { Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
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
  /**
   * Progress of Fargate import jobs (`importId` → last fully loaded line and counts), so a retried
   * or restarted task resumes where the last one stopped.
   */
  readonly importCheckpointsTable: Table;
  // TODO(merge): placeholder for the upload fan-out's bucket (wip/uploads), which owns it.
  readonly uploadsBucket: Bucket;

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
    this.importCheckpointsTable = new Table(this, 'ImportCheckpointsTable', {
      ...tableDefaults,
      partitionKey: { name: 'importId', type: AttributeType.STRING },
    });

    // TODO(merge): the uploads branch defines the real bucket under this construct ID; keep theirs.
    this.uploadsBucket = new Bucket(this, 'UploadsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy: config.dataRemovalPolicy,
      autoDeleteObjects: !retainsData(config),
    });
  }
}
