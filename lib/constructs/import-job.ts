import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  CpuArchitecture,
  FargatePlatformVersion,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  type ContainerDefinition,
  type ContainerImage,
  type ICluster,
} from 'aws-cdk-lib/aws-ecs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { IntegrationPattern, JsonPath, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import { CapacityProviderOptions, EcsFargateLaunchTarget, EcsRunTask, type EcsRunTaskProps } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeContainerDefaults, acknowledgeWildcardResource } from '../compliance';
import { listKeysStatement } from './app-function';
import type { Network } from './network';

export interface ImportJobProps {
  readonly cluster: ICluster;
  readonly network: Network;
  /** The worker image; the job runs its `import` command. */
  readonly image: ContainerImage;
  /** The bucket import files are uploaded to. */
  readonly bucket: IBucket;
  /** The keys the job may read. @default '*' */
  readonly importObjectsKeyPattern?: string;
  /** The job creates users here (conditional PutItem; GetItem to learn who owns a taken ID). */
  readonly usersTable: ITable;
  /** One checkpoint item per import (StatefulStack.importCheckpointsTable). */
  readonly checkpointsTable: ITable;
  /** Fargate CPU units; with memoryMiB, a valid Fargate pair. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** The job stops itself after this long (a retry resumes from the checkpoint). */
  readonly timeout: Duration;
  /** Run on Fargate Spot: interruptions are safe because the job resumes from its checkpoint. */
  readonly useSpot: boolean;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What the state machine passes to one run of the job. Values are usually JsonPath strings. */
export interface ImportRunOptions {
  /** The import file's key in the bucket. */
  readonly key: string;
  /** Names the checkpoint: a retry with the same ID resumes. Use the execution's import ID. */
  readonly importId: string;
  /** `jsonl` or `csv`. @default - from the key's extension */
  readonly format?: string;
  /** ISO 8601: the `createdAt` of every user the run creates. @default - the time each chunk is loaded */
  readonly submittedAt?: string;
  /** The S3 version to read; empty reads the current one. @default - the current version */
  readonly versionId?: string;
  /**
   * Where the stopped task's description goes in the state. @default JsonPath.DISCARD (several KB
   * of ECS detail; the job's counts are in its checkpoint)
   */
  readonly resultPath?: string;
}

/** How long RunTask may take over the job's own deadline: pulling the image, starting and stopping. */
export const JOB_START_MARGIN = Duration.minutes(10);

/** The container's name in the task definition (RunTask overrides address it by name). */
export const IMPORT_CONTAINER_NAME = 'Worker';

/**
 * The long import, as a Fargate task run to completion (no 15-minute limit): the worker image's
 * `import` command streams the file from S3, validates and normalises each record with the shared
 * domain code, loads users in batches and checkpoints after each chunk. It exits 0 on success and
 * non-zero on failure, which `EcsRunTask` with RUN_JOB turns into the state's success or failure.
 *
 * The import pipeline runs it with `runTask()`, which passes the S3 key and import ID as
 * container environment overrides.
 */
export class ImportJob extends Construct {
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;
  /** No inbound rules at all; outbound HTTPS only (S3, DynamoDB, ECR, CloudWatch Logs). */
  readonly securityGroup: SecurityGroup;
  readonly logGroup: LogGroup;
  /** How long one run may take; the state's task timeout adds a margin for start and stop. */
  readonly timeout: Duration;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ImportJobProps,
  ) {
    super(scope, id);
    this.timeout = props.timeout;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });

    this.container = this.taskDefinition.addContainer(IMPORT_CONTAINER_NAME, {
      image: props.image,
      command: ['import'],
      essential: true,
      readonlyRootFilesystem: true,
      logging: LogDrivers.awsLogs({ streamPrefix: 'import', logGroup: this.logGroup }),
      // SIGTERM (a Spot interruption, a stopped execution) stops the job at its next chunk;
      // this leaves time for that chunk and its checkpoint before SIGKILL.
      stopTimeout: Duration.seconds(60),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'import-job',
        IMPORT_BUCKET: props.bucket.bucketName,
        USERS_TABLE_NAME: props.usersTable.tableName,
        CHECKPOINTS_TABLE_NAME: props.checkpointsTable.tableName,
        JOB_TIMEOUT_SECONDS: String(props.timeout.toSeconds()),
      },
    });

    acknowledgeContainerDefaults(this.taskDefinition);

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.network.vpc,
      description: 'Import job tasks: no inbound, HTTPS out',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to S3, DynamoDB, ECR and CloudWatch Logs');

    // Least privilege: read import files; find and add users; read and write checkpoints.
    const role = this.taskDefinition.taskRole;
    // Exact actions (not grantRead's s3:GetObject*, s3:List*...): read the import files; list key
    // names so a missing file is a 404, not a 403.
    const importPattern = props.importObjectsKeyPattern ?? '*';
    const importObjects = props.bucket.arnForObjects(importPattern);
    // GetObjectVersion: a run reads the version its import is for (IMPORT_VERSION_ID).
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [importObjects] }));
    role.addToPrincipalPolicy(listKeysStatement(props.bucket));
    acknowledgeWildcardResource(
      role,
      importObjects,
      'Reads the import files under one key prefix; their names are known only when an import starts.',
    );
    // The import engine creates each user with a conditional PutItem (GetItem: who owns a taken ID).
    props.usersTable.grant(role, 'dynamodb:PutItem', 'dynamodb:GetItem');
    props.checkpointsTable.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /**
   * Every revision of the job's task definition family, as an ARN built in `scope`'s stack (the
   * resource of the state machine's `ecs:RunTask` permission).
   */
  revisionsArn(scope: Construct): string {
    return taskDefinitionRevisionsArn(scope, this.taskDefinition.family);
  }

  /**
   * A Step Functions task that runs the job to completion (RUN_JOB: the state waits for the task
   * to stop, and fails when the container exits non-zero).
   */
  runTask(scope: Construct, id: string, options: ImportRunOptions): EcsRunTask {
    const environment = [
      { name: 'IMPORT_KEY', value: options.key },
      { name: 'IMPORT_ID', value: options.importId },
      ...(options.format === undefined ? [] : [{ name: 'IMPORT_FORMAT', value: options.format }]),
      ...(options.submittedAt === undefined ? [] : [{ name: 'IMPORT_SUBMITTED_AT', value: options.submittedAt }]),
      ...(options.versionId === undefined ? [] : [{ name: 'IMPORT_VERSION_ID', value: options.versionId }]),
    ];
    return new EcsRunTaskOfFamily(scope, id, {
      integrationPattern: IntegrationPattern.RUN_JOB,
      resultPath: options.resultPath ?? JsonPath.DISCARD,
      cluster: this.props.cluster,
      taskDefinition: this.taskDefinition,
      launchTarget: new EcsFargateLaunchTarget({
        platformVersion: FargatePlatformVersion.LATEST,
        capacityProviderOptions: this.props.useSpot
          ? CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }])
          : undefined,
      }),
      subnets: this.props.network.taskSubnets,
      assignPublicIp: this.props.network.assignPublicIp,
      securityGroups: [this.securityGroup],
      containerOverrides: [{ containerDefinition: this.container, environment }],
      taskTimeout: Timeout.duration(this.props.timeout.plus(JOB_START_MARGIN)),
    });
  }
}

/**
 * `EcsRunTask` whose state machine may run any revision of the task definition's family.
 *
 * `EcsRunTask` (with the `fixRunEcsTaskPolicy` flag) allows `ecs:RunTask` on the task definition
 * ARN, revision included. From another stack that ARN is a weak cross-stack reference, resolved
 * when the consumer deploys: a new worker revision changes the Containers template but not the
 * Jobs template, the CLI skips the unchanged Jobs stack, and the role keeps the old revision, so
 * RunTask is refused. The state itself runs the family (its latest active revision), a literal;
 * the permission names `task-definition/<family>:*`, built in the consumer's own stack, so no
 * value that changes on update crosses the stack boundary.
 */
class EcsRunTaskOfFamily extends EcsRunTask {
  constructor(scope: Construct, id: string, props: EcsRunTaskProps) {
    super(scope, id, props);
    const familyRevisions = taskDefinitionRevisionsArn(this, props.taskDefinition.family);
    const policies = this.taskPolicies ?? [];
    const runTask = policies.findIndex((statement) => statement.actions.includes('ecs:RunTask'));
    if (runTask < 0) throw new Error('EcsRunTask no longer grants ecs:RunTask: review EcsRunTaskOfFamily');
    policies[runTask] = new PolicyStatement({ actions: ['ecs:RunTask'], resources: [familyRevisions] });
  }
}

/** `arn:…:task-definition/<family>:*` in `scope`'s stack: no reference to the revision's stack. */
function taskDefinitionRevisionsArn(scope: Construct, family: string): string {
  return Stack.of(scope).formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${family}:*` });
}
