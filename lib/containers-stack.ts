import * as path from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights, type ContainerDefinition, type FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import { ExportService } from './constructs/export-service';
import type { TokenCheck } from './constructs/identity';
import { ImportJob } from './constructs/import-job';
import { Network } from './constructs/network';

export interface ContainersStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly usersTable: ITable;
  readonly importCheckpointsTable: ITable;
  /** The bucket import files arrive in. */
  readonly uploadsBucket: IBucket;
  /** The keys of import files in the bucket. @default '*' */
  readonly importObjectsKeyPattern?: string;
  /** The token the export service requires on every request (from the stateful stack's Identity). */
  /** Whose tokens the export service accepts; required when config turns the service on. */
  readonly exportTokenCheck?: TokenCheck;
}

/** The repository root: the worker image's build context (see containers/worker/Dockerfile). */
const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * Containers for the heavy lifting: the VPC, an ECS cluster, one worker image, the long import
 * job (a task definition the import state machine runs with `importJob.runTask()`), and the
 * ALB → Fargate export service. Stateless: everything it keeps lives in the stateful stack.
 */
export class ContainersStack extends Stack {
  readonly network: Network;
  readonly cluster: Cluster;
  readonly importJob: ImportJob;
  /** Absent where config turns the export service off (containers.exportServiceEnabled). */
  readonly exportService?: ExportService;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: ContainersStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zones = config.availabilityZones.slice(0, config.network.maxAzs);
    const logs = { logRetention: config.logRetention };

    this.network = new Network(this, 'Network', {
      availabilityZones: config.availabilityZones,
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      logRemovalPolicy: config.dataRemovalPolicy,
      ...logs,
    });

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: this.network.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });

    // One image for both jobs, built at deploy time for ARM64 (synth only records the asset).
    const image = ContainerImage.fromAsset(PROJECT_ROOT, {
      file: 'containers/worker/Dockerfile',
      platform: Platform.LINUX_ARM64,
    });

    this.importJob = new ImportJob(this, 'ImportJob', {
      cluster: this.cluster,
      network: this.network,
      image,
      bucket: props.uploadsBucket,
      importObjectsKeyPattern: props.importObjectsKeyPattern,
      usersTable: props.usersTable,
      checkpointsTable: props.importCheckpointsTable,
      cpu: config.containers.jobCpu,
      memoryMiB: config.containers.jobMemoryMiB,
      timeout: config.containers.jobTimeout,
      useSpot: config.containers.useSpot,
      logRemovalPolicy: config.dataRemovalPolicy,
      ...logs,
    });

    if (config.containers.exportServiceEnabled) {
      if (!props.exportTokenCheck) throw new Error('The export service needs exportTokenCheck: which tokens it accepts');
      this.exportService = new ExportService(this, 'ExportService', {
        cluster: this.cluster,
        network: this.network,
        image,
        usersTable: props.usersTable,
        tokenCheck: props.exportTokenCheck,
        cpu: config.containers.serviceCpu,
        memoryMiB: config.containers.serviceMemoryMiB,
        desiredCount: config.containers.serviceDesiredCount,
        maxCount: config.containers.serviceMaxCount,
        useSpot: config.containers.useSpot,
        certificateArn: config.containers.certificateArn,
        allowedCidrs: config.containers.exportAllowedCidrs,
        // Plain HTTP only in dev, where there is no certificate; every other environment must give one.
        allowPlainHttp: config.envName === 'dev',
        removalPolicy: config.dataRemovalPolicy,
        ...logs,
      });
      new CfnOutput(this, 'ExportUrl', { value: `${this.exportService.url}/exports/users.csv` });
    } else {
      // What the service would run, for the cost estimate's "with the export service on" figure.
      this.templateOptions.metadata = {
        ...this.templateOptions.metadata,
        ExportServiceOff: {
          cpu: config.containers.serviceCpu,
          memoryMiB: config.containers.serviceMemoryMiB,
          desiredCount: config.containers.serviceDesiredCount,
          spot: config.containers.useSpot,
          publicIp: config.network.natGateways === 0,
        },
      };
    }

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
  }

  /**
   * The zones from config: without this override a stack with an explicit account and region
   * looks its zones up in the account at synth, which fails with no credentials.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }

  /** The import task definition, for the state machine's EcsRunTask. */
  get importTaskDefinition(): FargateTaskDefinition {
    return this.importJob.taskDefinition;
  }

  /** The import container, for the state machine's container overrides. */
  get importContainer(): ContainerDefinition {
    return this.importJob.container;
  }
}
