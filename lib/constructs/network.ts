import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  SubnetType,
  Vpc,
  type SubnetConfiguration,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** The zones to use, given explicitly so synth needs no lookup (the first `maxAzs` are used). */
  readonly availabilityZones: readonly string[];
  readonly maxAzs: number;
  /** 0: public subnets only, tasks get public IPs. More: private subnets behind that many NAT gateways. */
  readonly natGateways: number;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The VPC of the Fargate tasks and the load balancer.
 *
 * Without NAT gateways (dev: a NAT gateway costs about $32 a month before data) the tasks run in
 * public subnets with public IPs, which they need to pull the image from ECR and send logs; their
 * security groups admit nothing from the internet (the service admits only the load balancer, the
 * import job nothing at all), so a public IP gives no inbound path. With NAT gateways (prod) the
 * tasks run in private subnets. Either way, gateway endpoints for S3 and DynamoDB (free) keep the
 * heavy traffic, import files in and users out, off the internet and off the NAT's per-GB charge.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  /** Where tasks run. */
  readonly taskSubnets: SubnetSelection;
  /** True when tasks need a public IP to reach ECR and CloudWatch (no NAT gateway). */
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const zones = props.availabilityZones.slice(0, props.maxAzs);
    if (zones.length < 2) throw new Error('The load balancer needs at least two availability zones');
    if (props.natGateways < 0 || props.natGateways > zones.length) {
      throw new Error(`natGateways must be from 0 to the number of zones (${zones.length})`);
    }

    const usesNat = props.natGateways > 0;
    const subnetConfiguration: SubnetConfiguration[] = [{ name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }];
    if (usesNat) subnetConfiguration.push({ name: 'Private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 });

    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // The role CDK would create trusts the flow-logs service for any account's flow logs; this one
    // only for this account's (no confused deputy).
    const stack = Stack.of(this);
    const flowLogsRole = new Role(this, 'FlowLogsRole', {
      description: 'Lets VPC flow logs of this account write to the flow-logs log group',
      assumedBy: new ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'ec2',
            resource: 'vpc-flow-log',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        },
      }),
    });

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.0.0.0/16'),
      availabilityZones: zones,
      natGateways: props.natGateways,
      subnetConfiguration,
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Rejected traffic only: what a security review needs, at a fraction of logging everything.
      flowLogs: {
        Rejected: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogsRole), trafficType: FlowLogTrafficType.REJECT },
      },
    });
    // Zones come from the environment's config on purpose: a lookup at synth would need AWS
    // credentials, which `cdk synth` and `cdk diff` in pull requests must not need.
    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'Availability zones are set per environment in lib/config.ts so synth needs no AWS lookup.',
    });

    this.taskSubnets = { subnetType: usesNat ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PUBLIC };
    this.assignPublicIp = !usesNat;
  }
}
