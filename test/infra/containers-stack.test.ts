import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DefinitionBody, JsonPath, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { ENVIRONMENTS } from '../../lib/config';
import { ContainersStack } from '../../lib/containers-stack';
import { EXPORTS_READ } from '../../lib/constructs/identity';
import { StatefulStack } from '../../lib/stateful-stack';
import { synthesizedApp } from '../support/shared-synthesis';
import { templateOf, testApp } from '../support/synth';

const stages = synthesizedApp();
const dev = templateOf(stages.dev.containers);
const prod = templateOf(stages.prod.containers);
const staging = templateOf(stages.staging.containers);

/** The IAM statements of the policy attached to the role whose logical ID starts with `rolePrefix`. */
function statementsOfRole(template: Template, rolePrefix: string): { Action: string | string[]; Resource: unknown }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const attached = Object.values(policies).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith(rolePrefix)),
  );
  return attached.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function actionsOf(statements: { Action: string | string[] }[]): string[] {
  return statements.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action])).sort();
}

describe('network', () => {
  it('gives dev no NAT gateway, only public subnets and free gateway endpoints', () => {
    dev.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = Object.values(dev.findResources('AWS::EC2::Subnet'));
    expect(subnets.map((subnet) => subnet.Properties.MapPublicIpOnLaunch)).toEqual([true, true]);
    dev.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('s3')])]) }),
    });
    dev.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('dynamodb')])]) }),
    });
  });

  it("honours prod's NAT gateway count and zone count from config", () => {
    prod.resourceCountIs('AWS::EC2::NatGateway', ENVIRONMENTS.prod.network.natGateways);
    const zones = new Set(Object.values(prod.findResources('AWS::EC2::Subnet')).map((subnet) => subnet.Properties.AvailabilityZone));
    expect([...zones].sort()).toEqual(ENVIRONMENTS.prod.availabilityZones.slice(0, ENVIRONMENTS.prod.network.maxAzs));
  });

  it('runs dev tasks with public IPs and prod tasks in private subnets without', () => {
    const assignPublicIp = (template: Template) =>
      template.findResources('AWS::ECS::Service')[Object.keys(template.findResources('AWS::ECS::Service'))[0]].Properties
        .NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp;
    expect(assignPublicIp(dev)).toBe('ENABLED');
    expect(assignPublicIp(prod)).toBe('DISABLED');
  });
});

describe('cluster and task definitions', () => {
  it('enables Container Insights on the cluster', () => {
    dev.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('runs the import job on ARM64 with the CPU and memory of the config, as a one-shot import command', () => {
    const { jobCpu, jobMemoryMiB, jobTimeout } = ENVIRONMENTS.prod.containers;
    prod.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: String(jobCpu),
      Memory: String(jobMemoryMiB),
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Command: ['import'],
          ReadonlyRootFilesystem: true,
          Environment: Match.arrayWith([{ Name: 'JOB_TIMEOUT_SECONDS', Value: String(jobTimeout.toSeconds()) }]),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
  });

  it('runs the export service on ARM64 with the CPU and memory of the config, in server mode', () => {
    const { serviceCpu, serviceMemoryMiB } = ENVIRONMENTS.dev.containers;
    dev.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: String(serviceCpu),
      Memory: String(serviceMemoryMiB),
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({ Command: ['serve'], PortMappings: [Match.objectLike({ ContainerPort: 8080 })] })],
    });
  });

  it('keeps task logs with the retention of the environment', () => {
    const retentions = Object.values(prod.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.RetentionInDays);
    expect(retentions.length).toBeGreaterThanOrEqual(3);
    expect(new Set(retentions)).toEqual(new Set([ENVIRONMENTS.prod.logRetention]));
  });

  it('builds one ARM64 image from the repository root for both', () => {
    const images = new Set(
      Object.values(dev.findResources('AWS::ECS::TaskDefinition')).map((definition) =>
        JSON.stringify(definition.Properties.ContainerDefinitions[0].Image),
      ),
    );
    expect(images.size).toBe(1);
  });
});

describe('export service', () => {
  it('rolls failed deployments back with the circuit breaker', () => {
    dev.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
      DesiredCount: ENVIRONMENTS.dev.containers.serviceDesiredCount,
    });
  });

  it('uses Fargate Spot with one regular task where config asks for Spot, and regular Fargate elsewhere', () => {
    dev.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 0 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
      ],
    });
    prod.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] });
  });

  it('health-checks the tasks on /healthz', () => {
    dev.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/healthz',
      Matcher: { HttpCode: '200' },
      TargetType: 'ip',
      Port: 8080,
    });
  });

  it('scales between the desired and maximum counts on CPU and on requests per task', () => {
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: ENVIRONMENTS.prod.containers.serviceDesiredCount,
      MaxCapacity: ENVIRONMENTS.prod.containers.serviceMaxCount,
    });
    const metrics = Object.values(prod.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map(
      (policy) => policy.Properties.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType,
    );
    expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  });

  it('serves HTTPS with the certificate of the config and redirects HTTP to it', () => {
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: ENVIRONMENTS.prod.containers.certificateArn }],
      SslPolicy: Match.stringLikeRegexp('TLS13'),
    });
    prod.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
    });
    staging.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  it('serves plain HTTP in dev only, which has no certificate', () => {
    expect(ENVIRONMENTS.dev.containers.certificateArn).toBeUndefined();
    dev.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    dev.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('lets only the load balancer reach the tasks, on the container port', () => {
    const ingress = Object.values(dev.findResources('AWS::EC2::SecurityGroupIngress')).map((rule) => rule.Properties);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({ FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp' });
    expect(ingress[0].SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/^ExportServiceLoadBalancerSecurityGroup/);
    expect(ingress[0].GroupId['Fn::GetAtt'][0]).toMatch(/^ExportServiceServiceSecurityGroup/);
    const service = Object.values(dev.findResources('AWS::ECS::Service'))[0];
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0]['Fn::GetAtt'][0]).toMatch(
      /^ExportServiceServiceSecurityGroup/,
    );
  });

  it('admits the internet to the load balancer only, and nothing to the import job', () => {
    const groups = dev.findResources('AWS::EC2::SecurityGroup');
    const open = Object.entries(groups).filter(([, group]) => (group.Properties.SecurityGroupIngress ?? []).length > 0);
    expect(open.map(([id]) => id)).toEqual([expect.stringMatching(/^ExportServiceLoadBalancerSecurityGroup/)]);
    const importGroup = Object.entries(groups).find(([id]) => id.startsWith('ImportJobSecurityGroup'));
    expect(importGroup?.[1].Properties.SecurityGroupIngress).toBeUndefined();
    expect(importGroup?.[1].Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
    ]);
  });

  it('writes access logs to an SSE-S3 encrypted, private, TLS-only bucket', () => {
    dev.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
    });
    dev.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    dev.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    dev.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });
});

describe('task roles', () => {
  it('lets the import job read import objects, find and add users, and keep checkpoints, nothing more', () => {
    const statements = statementsOfRole(dev, 'ImportJobTaskDefinitionTaskRole');
    // Distinct actions: users and checkpoints are both read and written with GetItem/PutItem.
    expect([...new Set(actionsOf(statements))].sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'].sort(),
    );
    const text = JSON.stringify(statements);
    expect(text).toContain('UploadsBucket');
    expect(text).toContain('UsersTable');
    expect(text).toContain('ImportCheckpointsTable');
    expect(text).not.toMatch(/DeleteItem|s3:PutObject|s3:DeleteObject/);
  });

  it('lets the export service scan the users table only', () => {
    const statements = statementsOfRole(dev, 'ExportServiceTaskDefinitionTaskRole');
    expect(actionsOf(statements)).toEqual(['dynamodb:Scan']);
    expect(JSON.stringify(statements)).toContain('UsersTable');
    expect(JSON.stringify(statements)).not.toContain('ImportCheckpointsTable');
  });
});

describe('import job run by the state machine', () => {
  it('runs to completion on the cluster with the S3 key and import ID as container overrides', () => {
    // A fresh app: the shared one is already synthesized and cannot take another stack.
    const app = testApp();
    const config = ENVIRONMENTS.dev;
    const env = { account: config.account, region: config.region };
    const stateful = new StatefulStack(app, 'Stateful', { config, env });
    const containers = new ContainersStack(app, 'Containers', {
      config,
      env,
      usersTable: stateful.usersTable,
      importCheckpointsTable: stateful.importCheckpointsTable,
      uploadsBucket: stateful.uploads.bucket,
      exportTokenCheck: stateful.identity.tokenCheck(EXPORTS_READ),
    });
    const pipeline = new Stack(app, 'Pipeline', { env });
    const run = containers.importJob.runTask(pipeline, 'LoadLargeImport', {
      key: JsonPath.stringAt('$.key'),
      importId: JsonPath.stringAt('$.importId'),
    });
    new StateMachine(pipeline, 'Imports', { definitionBody: DefinitionBody.fromChainable(run) });

    const definition = JSON.stringify(Template.fromStack(pipeline).findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain(':states:::ecs:runTask.sync');
    expect(definition).toContain('FARGATE_SPOT');
    expect(definition).toContain('\\"Name\\":\\"IMPORT_KEY\\",\\"Value.$\\":\\"$.key\\"');
    expect(definition).toContain('\\"Name\\":\\"IMPORT_ID\\",\\"Value.$\\":\\"$.importId\\"');
    expect(definition).toContain('\\"AssignPublicIp\\":\\"ENABLED\\"');
  });
});

describe('export load balancer exposure', () => {
  it.each(['dev', 'staging', 'prod'] as const)('admits only the networks %s names, never the whole internet', (env) => {
    const groups = templateOf(stages[env].containers).findResources('AWS::EC2::SecurityGroup');
    const ingress = Object.entries(groups)
      .filter(([id]) => id.includes('LoadBalancerSecurityGroup'))
      .flatMap(([, group]) => (group.Properties.SecurityGroupIngress ?? []) as { CidrIp?: string; FromPort: number }[]);

    expect(ingress.length).toBeGreaterThan(0);
    expect(new Set(ingress.map((rule) => rule.CidrIp))).toEqual(new Set(['203.0.113.0/24']));
    expect(ingress.map((rule) => rule.FromPort).sort()).toEqual(env === 'dev' ? [80] : [443, 80]);
  });
});
