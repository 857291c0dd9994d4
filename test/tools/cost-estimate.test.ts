import { estimateEnvironments, estimateStack, toMarkdown } from '../../tools/cost-estimate/estimate';
import { stacksOf, synthesizeApp, templateOf } from '../support/synth';

describe('cost estimate of a template', () => {
  it('prices NAT gateways, load balancers, keys, alarms and dashboards by the month', () => {
    const items = estimateStack('prod/Net', {
      Resources: {
        Nat1: { Type: 'AWS::EC2::NatGateway' },
        Nat2: { Type: 'AWS::EC2::NatGateway' },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
        Key: { Type: 'AWS::KMS::Key' },
        Alarm: { Type: 'AWS::CloudWatch::Alarm' },
        Board: { Type: 'AWS::CloudWatch::Dashboard' },
      },
    });

    expect(items).toEqual([
      { stack: 'prod/Net', item: 'NAT gateway', count: 2, monthlyUsd: 70.08 },
      { stack: 'prod/Net', item: 'Application load balancer (1 LCU)', count: 1, monthlyUsd: 24.24 },
      { stack: 'prod/Net', item: 'KMS customer key', count: 1, monthlyUsd: 1 },
      { stack: 'prod/Net', item: 'CloudWatch alarm', count: 1, monthlyUsd: 0.1 },
      { stack: 'prod/Net', item: 'CloudWatch dashboard', count: 1, monthlyUsd: 3 },
    ]);
  });

  it('prices a Fargate service from its task size, architecture, Spot use and public IPs', () => {
    const items = estimateStack('dev/Containers', {
      Resources: {
        Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '512', Memory: '1024', RuntimePlatform: { CpuArchitecture: 'ARM64' } } },
        Service: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: { Ref: 'Task' },
            DesiredCount: 2,
            CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
            NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
          },
        },
      },
    });

    // (0.5 vCPU x 0.03238 + 1 GB x 0.00356) x 730 h x 0.3 (Spot) x 2 tasks
    expect(items).toEqual([
      { stack: 'dev/Containers', item: 'Fargate service task (0.5 vCPU, 1 GB, arm64, Spot)', count: 2, monthlyUsd: 8.65 },
      { stack: 'dev/Containers', item: 'Public IPv4 address (Fargate task)', count: 2, monthlyUsd: 7.3 },
    ]);
  });
});

describe('cost estimate of the app', () => {
  const stages = synthesizeApp();
  const templates = Object.fromEntries(
    Object.values(stages).flatMap((stage) =>
      stacksOf(stage).map((stack) => [`${stage.stageName}/${stack.node.id}`, templateOf(stack).toJSON()] as const),
    ),
  );
  const estimates = estimateEnvironments(templates);
  const byName = Object.fromEntries(estimates.map((estimate) => [estimate.environment, estimate]));

  it('shows the warm users functions prod pays for, and that dev pays for none', () => {
    // 4 functions x 0.25 GB x 2,628,000 s a month x $0.0000033334 per GB-second (ARM64)
    expect(byName.prod.lineItems).toContainEqual({
      stack: 'prod/Api',
      item: 'Provisioned concurrency (256 MB, arm64)',
      count: 4,
      monthlyUsd: 8.76,
    });
    expect(byName.dev.lineItems.filter((item) => item.item.startsWith('Provisioned concurrency'))).toEqual([]);
    expect(byName.prod.fixedMonthlyUsd).toBeGreaterThan(byName.dev.fixedMonthlyUsd);
  });

  it('lists environments in promotion order in the Markdown summary', () => {
    const markdown = toMarkdown(estimates, 'test prices');

    expect(estimates.map((estimate) => estimate.environment)).toEqual(['dev', 'staging', 'prod']);
    expect(markdown).toMatch(/\| prod \| \$\d+\.\d\d \| \$\d+\.\d\d \|/);
    expect(markdown.indexOf('## dev')).toBeLessThan(markdown.indexOf('## prod'));
  });
});
