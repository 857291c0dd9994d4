import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
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
    });

    this.uploads = new UploadStorage(this, 'Uploads', {
      uploads: props.config.uploads,
      removalPolicy: props.config.dataRemovalPolicy,
    });
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
