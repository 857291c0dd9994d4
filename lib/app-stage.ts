import { Stage, Tags, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { keysUnder } from '../lambda/domain/bucket-layout';
import { ApiStack } from './api-stack';
import type { EnvironmentConfig } from './config';
import { EXPORTS_READ } from './constructs/identity';
import { JobsStack } from './jobs-stack';
import { OperationsStack } from './operations-stack';
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
  readonly operations: OperationsStack;

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
      userPool: this.stateful.identity.userPool,
    });
    this.containers = new ContainersStack(this, 'Containers', {
      ...common,
      description: `Fargate import job and export service of the user-data platform (${config.envName})`,
      usersTable: this.stateful.usersTable,
      importCheckpointsTable: this.stateful.importCheckpointsTable,
      uploadsBucket: this.stateful.uploads.bucket,
      importObjectsKeyPattern: keysUnder('imports'),
      exportTokenCheck: config.containers.exportServiceEnabled ? this.stateful.identity.tokenCheck(EXPORTS_READ) : undefined,
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
      filesTable: this.stateful.filesTable,
      activityTable: this.stateful.activityTable,
    });
    this.operations = new OperationsStack(this, 'Operations', {
      ...common,
      description: `Alarms and dashboard of the user-data platform (${config.envName})`,
      // Each construct says what operations must watch of it; the order is the dashboard's.
      flows: [
        this.api.monitored,
        this.uploads.processing.monitored,
        this.jobs.importPipeline.monitored,
        this.jobs.scheduledJobs.monitored,
        // No export service (config turns it off), no load balancer to watch.
        ...(this.containers.exportService ? [this.containers.exportService.monitored] : []),
      ],
    });

    Tags.of(this).add('project', 'user-data-platform');
    Tags.of(this).add('environment', config.envName);
  }
}
