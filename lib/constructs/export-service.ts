import { Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import {
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  type ContainerImage,
  type ICluster,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  ListenerAction,
  SslPolicy,
  TargetType,
  type ApplicationListener,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeContainerDefaults } from '../compliance';
import type { TokenCheck } from './identity';
import type { Network } from './network';
import type { MonitoredFlow } from './platform-monitoring';

/** The port the worker's `serve` command listens on inside the task. */
export const EXPORT_CONTAINER_PORT = 8080;

export interface ExportServiceProps {
  readonly cluster: ICluster;
  readonly network: Network;
  /** The worker image; the service runs its `serve` command. */
  readonly image: ContainerImage;
  /** Read with Scan only. */
  readonly usersTable: ITable;
  /**
   * The bearer token every request but `/healthz` must carry: the service verifies it itself
   * (containers/worker/src/auth.ts), in every environment, so plain-HTTP dev is checked the same way.
   */
  readonly tokenCheck: TokenCheck;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  /** Upper bound for auto scaling (the lower bound is desiredCount). */
  readonly maxCount: number;
  /** Prefer Fargate Spot, keeping one task on regular Fargate so the service never drops to zero. */
  readonly useSpot: boolean;
  /** An ACM certificate: the load balancer listens on HTTPS 443 and redirects HTTP to it. @default - plain HTTP on port 80 (only with allowPlainHttp) */
  readonly certificateArn?: string;
  /**
   * IPv4 networks (CIDR) allowed to reach the load balancer: the office, the VPN, the clients'
   * NAT addresses. The export serves personal data to anyone who reaches it, so there is no default.
   */
  readonly allowedCidrs: readonly string[];
  /** Accept a plain HTTP listener when no certificate is given (dev only). @default false */
  readonly allowPlainHttp?: boolean;
  readonly logRetention: RetentionDays;
  /** For the log group and the access-log bucket. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Days the load balancer's access logs are kept. @default 90 */
  readonly accessLogDays?: number;
}

/**
 * Heavy HTTP beside API Gateway: an internet-facing ALB in front of a Fargate service running the
 * worker image's export server. `GET /exports/users.csv` streams the whole users table, which
 * API Gateway (29 s, 10 MB) and Lambda (6 MB responses) cannot serve.
 *
 * Every request but the health check needs a bearer access token with the export scope, checked by
 * the service; the load balancer's network allow-list is a second layer, not the only one.
 *
 * Only the load balancer reaches the tasks (their security group admits the ALB's group on the
 * container port and nothing else). Deployments roll back on their own when new tasks fail their
 * health checks (circuit breaker), the service scales on CPU and on requests per task, and the
 * ALB writes access logs to an SSE-S3 bucket (ALB log delivery does not support SSE-KMS).
 */
export class ExportService extends Construct {
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly listener: ApplicationListener;
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly targetGroup: ApplicationTargetGroup;
  readonly accessLogsBucket: Bucket;
  readonly logGroup: LogGroup;
  /** `https://` or `http://` and the load balancer's DNS name. */
  readonly url: string;

  /** What the Operations stack watches of the service: 5xx answers at the load balancer and tasks failing their health checks. */
  get monitored(): MonitoredFlow {
    return { title: 'Containers', loadBalancer: { alb: this.loadBalancer, targetGroup: this.targetGroup } };
  }

  constructor(scope: Construct, id: string, props: ExportServiceProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    if (props.certificateArn === undefined && props.allowPlainHttp !== true) {
      throw new Error('The export service needs a certificateArn; plain HTTP is allowed only where allowPlainHttp is set (dev)');
    }
    const vpc = props.network.vpc;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer('Worker', {
      image: props.image,
      command: ['serve'],
      essential: true,
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: EXPORT_CONTAINER_PORT }],
      logging: LogDrivers.awsLogs({ streamPrefix: 'export', logGroup: this.logGroup }),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'export-service',
        USERS_TABLE_NAME: props.usersTable.tableName,
        PORT: String(EXPORT_CONTAINER_PORT),
        AUTH_ISSUER: props.tokenCheck.issuer,
        AUTH_JWKS_URL: props.tokenCheck.jwksUrl,
        AUTH_CLIENT_IDS: Fn.join(',', [...props.tokenCheck.clientIds]),
        AUTH_REQUIRED_SCOPE: props.tokenCheck.requiredScope,
      },
      // Exports in flight get this long to finish after SIGTERM (the Fargate maximum is 120 s).
      stopTimeout: Duration.seconds(120),
    });
    acknowledgeContainerDefaults(this.taskDefinition);
    // Least privilege: the export only scans the users table.
    props.usersTable.grant(this.taskDefinition.taskRole, 'dynamodb:Scan');

    const albSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Export load balancer: HTTP(S) from the internet, to the export tasks only',
      allowAllOutbound: false,
    });
    const serviceSecurityGroup = new SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'Export tasks: the container port from the load balancer only, HTTPS out',
      allowAllOutbound: false,
    });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, Port.tcp(EXPORT_CONTAINER_PORT), 'From the export load balancer');
    serviceSecurityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to DynamoDB, ECR, CloudWatch Logs and the user pool signing keys (JWKS)',
    );
    albSecurityGroup.addEgressRule(serviceSecurityGroup, Port.tcp(EXPORT_CONTAINER_PORT), 'To the export tasks');

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays ?? 90) }],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: "This bucket receives the load balancer's access logs; logging its own access would log the logging.",
    });

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnets: vpc.publicSubnets },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, 'export-alb');

    const https = props.certificateArn !== undefined;
    // The export returns every user (names, emails, phones) and scans the whole table per request:
    // only the networks the environment names may reach it, never the whole internet.
    for (const cidr of props.allowedCidrs) {
      const peer = Peer.ipv4(cidr);
      albSecurityGroup.addIngressRule(
        peer,
        Port.tcp(80),
        https ? `HTTP from ${cidr}, redirected to HTTPS` : `HTTP from ${cidr} (dev only)`,
      );
      if (https) albSecurityGroup.addIngressRule(peer, Port.tcp(443), `HTTPS from ${cidr}`);
    }

    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      vpcSubnets: props.network.taskSubnets,
      assignPublicIp: props.network.assignPublicIp,
      securityGroups: [serviceSecurityGroup],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(30),
      capacityProviderStrategies: props.useSpot
        ? [
            { capacityProvider: 'FARGATE', base: 1, weight: 0 },
            { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          ]
        : [{ capacityProvider: 'FARGATE', weight: 1 }],
    });

    this.targetGroup = new ApplicationTargetGroup(this, 'Targets', {
      vpc,
      port: EXPORT_CONTAINER_PORT,
      protocol: ApplicationProtocol.HTTP,
      targetType: TargetType.IP,
      targets: [this.service],
      healthCheck: {
        path: '/healthz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // Long enough for most exports to finish when a task is replaced.
      deregistrationDelay: Duration.seconds(120),
    });

    if (https) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: ApplicationProtocol.HTTPS,
        open: false,
        certificates: [Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn as string)],
        sslPolicy: SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
      });
      // Port 80 only redirects to HTTPS: nothing is served in clear text.
      this.loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: ApplicationProtocol.HTTP,
        open: false,
        defaultAction: ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
    }

    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.desiredCount, maxCapacity: props.maxCount });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    // Each export is long; a few per task keeps response times steady.
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 50, targetGroup: this.targetGroup });

    this.url = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }
}
