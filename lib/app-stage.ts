import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { IMPORTS_PREFIX } from '../lambda/domain/import-job';
import { ApiStack } from './api-stack';
import type { EnvironmentConfig } from './config';
import { JobsStack } from './jobs-stack';
import { ContainersStack } from './containers-stack';
import { StatefulStack } from './stateful-stack';
import { UploadsStack } from './uploads-stack';

export interface AppStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/**
 * One environment: its stateful stack and the stateless stacks that use it. Deploy one with
 * `npx cdk deploy '<env>/*'`.
 */
export class AppStage extends Stage {
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly uploads: UploadsStack;
  readonly jobs: JobsStack;
  readonly containers: ContainersStack;

  constructor(scope: Construct, id: string, props: AppStageProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.config.region } });
    const { config } = props;
    const common = { config, terminationProtection: config.terminationProtection };

    this.stateful = new StatefulStack(this, 'Stateful', {
      ...common,
      description: `Tables and buckets of the user-data platform (${config.envName})`,
    });
    this.api = new ApiStack(this, 'Api', {
      ...common,
      description: `Users API of the user-data platform (${config.envName})`,
      usersTable: this.stateful.usersTable,
      activityTable: this.stateful.activityTable,
      importsTable: this.stateful.importsTable,
    });
    this.containers = new ContainersStack(this, 'Containers', {
      ...common,
      description: `Fargate import job and export service of the user-data platform (${config.envName})`,
      usersTable: this.stateful.usersTable,
      importCheckpointsTable: this.stateful.importCheckpointsTable,
      uploadsBucket: this.stateful.uploads.bucket,
      importObjectsKeyPattern: `${IMPORTS_PREFIX}*`,
    });

    // After Containers: the import state machine runs the containers' import job.
    this.jobs = new JobsStack(this, 'Jobs', {
      ...common,
      description: `Import pipeline and scheduled jobs of the user-data platform (${config.envName})`,
      uploadsBucket: this.stateful.uploads.bucket,
      importsQueue: this.stateful.importsQueue,
      usersTable: this.stateful.usersTable,
      activityTable: this.stateful.activityTable,
      importsTable: this.stateful.importsTable,
      importJob: this.containers.importJob,
      importCheckpointsTable: this.stateful.importCheckpointsTable,
    });
    this.uploads = new UploadsStack(this, 'Uploads', {
      ...common,
      description: `Upload processing of the user-data platform (${config.envName})`,
      uploadsBucket: this.stateful.uploads.bucket,
      filesQueue: this.stateful.uploads.filesQueue,
      filesDeadLetterQueue: this.stateful.uploads.filesDeadLetterQueue,
      filesTable: this.stateful.filesTable,
      activityTable: this.stateful.activityTable,
    });
    Tags.of(this).add('project', 'user-data-platform');
    Tags.of(this).add('environment', config.envName);
  }
}
