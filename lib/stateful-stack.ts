import { Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { retainsData, type EnvironmentConfig } from './config';
import { UploadStorage } from './constructs/upload-storage';

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
  /** One item per uploaded object version (`objectId` = `<bucket>/<key>`, `versionId`). */
  readonly filesTable: Table;
  /** The uploads bucket, its topic of object-created events, and the files queue with its DLQ. */
  readonly uploads: UploadStorage;

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
    this.filesTable = new Table(this, 'FilesTable', {
      ...tableDefaults,
      partitionKey: { name: 'objectId', type: AttributeType.STRING },
      sortKey: { name: 'versionId', type: AttributeType.STRING },
    });

    this.uploads = new UploadStorage(this, 'Uploads', { uploads: config.uploads, removalPolicy: config.dataRemovalPolicy });
  }
}
