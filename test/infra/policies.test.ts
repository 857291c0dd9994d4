import { ENVIRONMENT_NAMES, ENVIRONMENTS, retainsData, type EnvironmentName } from '../../lib/config';
import { FUNCTION_RUNTIME } from '../../lib/constructs/app-function';
import {
  asyncTargetsWithoutFailureHandling,
  crossStackValuesThatChangeOnUpdate,
  dataStoresNotRetained,
  deliveryTargetsWithAwsManagedKey,
  functionsOffProjectDefaults,
  logGroupsWithoutRetention,
  mappingsWithoutPartialBatchResponse,
  queuesWithoutDeadLetterQueue,
  securityGroupsOpenToWorld,
  visibilityTimeoutsTooShort,
  wildcardIamStatements,
} from '../support/policies';
import { stacksOf, synthesizeApp, templateOf } from '../support/synth';
import { resolveFunction, resolveReference, type AppTemplates, type CfnResource, type CfnTemplate } from '../support/template-graph';

// Every stack of every environment, synthesized once: a resource added later is scanned too.
const stages = synthesizeApp();
const apps = Object.fromEntries(
  ENVIRONMENT_NAMES.map((env) => [
    env,
    Object.fromEntries(stacksOf(stages[env]).map((stack) => [stack.stackName, templateOf(stack).toJSON() as CfnTemplate])),
  ]),
) as Record<EnvironmentName, AppTemplates>;

describe.each(ENVIRONMENT_NAMES)('app-wide policies in %s', (env) => {
  const app = apps[env];

  it('every SQS queue has a dead-letter queue or is one', () => {
    expect(queuesWithoutDeadLetterQueue(app)).toEqual([]);
  });

  it("every SQS queue's visibility timeout is at least 6 × its consumer's timeout plus the batching window", () => {
    expect(visibilityTimeoutsTooShort(app)).toEqual([]);
  });

  it('no queue or topic that S3 or SNS delivers into uses an AWS-managed KMS key', () => {
    expect(deliveryTargetsWithAwsManagedKey(app)).toEqual([]);
  });

  it('every SQS event source mapping reports batch item failures', () => {
    expect(mappingsWithoutPartialBatchResponse(app)).toEqual([]);
  });

  it('every asynchronous target has retries and a place for failures', () => {
    expect(asyncTargetsWithoutFailureHandling(app)).toEqual([]);
  });

  it('every project function logs to a log group with retention, on arm64 and the project runtime', () => {
    expect(functionsOffProjectDefaults(app, FUNCTION_RUNTIME.name)).toEqual([]);
  });

  it('every log group has a retention period', () => {
    expect(logGroupsWithoutRetention(app)).toEqual([]);
  });

  it('no IAM statement allows every action, a whole service, or any resource beyond the reviewed list', () => {
    expect(wildcardIamStatements(app)).toEqual([]);
  });

  it("no security group admits the internet except the load balancer's listener ports", () => {
    expect(securityGroupsOpenToWorld(app)).toEqual([]);
  });

  it('no stack reads from another a value that changes on update (task definition revisions, versions, image URIs)', () => {
    expect(crossStackValuesThatChangeOnUpdate(app)).toEqual([]);
  });
});

// Dev's data is disposable (config.dataRemovalPolicy DESTROY): only the other environments must keep it.
it.each(ENVIRONMENT_NAMES.filter((env) => retainsData(ENVIRONMENTS[env])))('every table and bucket in %s is retained, tables with PITR', (env) => {
  expect(dataStoresNotRetained(apps[env])).toEqual([]);
});

describe('the policies see the real wiring', () => {
  const app = apps.prod;
  const [mapping] = Object.entries(app['prod-Uploads'].Resources ?? {}).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');

  it('follows a cross-stack event source back to the queue in the Stateful stack', () => {
    const queue = resolveReference(app, 'prod-Uploads', mapping[1].Properties?.EventSourceArn);
    expect(queue).toMatchObject({ stack: 'prod-Stateful', resource: { Type: 'AWS::SQS::Queue' } });
    expect(queue?.logicalId).toMatch(/^UploadsFilesQueue/);
  });

  /** `app` with one resource of one stack, found by type and logical ID prefix, replaced (or removed when `change` returns undefined). */
  function withResource(stack: string, type: string, idPrefix: string, change: (resource: CfnResource) => CfnResource | undefined): AppTemplates {
    const resources = { ...(app[stack].Resources ?? {}) };
    const id = Object.keys(resources).find((logicalId) => logicalId.startsWith(idPrefix) && resources[logicalId].Type === type)!;
    const changed = change(resources[id]);
    if (changed === undefined) delete resources[id];
    else resources[id] = changed;
    return { ...app, [stack]: { ...app[stack], Resources: resources } };
  }

  it('reports the real files queue once its redrive policy is gone', () => {
    const mutated = withResource('prod-Stateful', 'AWS::SQS::Queue', 'UploadsFilesQueue', (r) => ({ ...r, Properties: { ...r.Properties, RedrivePolicy: undefined } }));
    expect(queuesWithoutDeadLetterQueue(mutated)).toEqual([expect.stringMatching(/^prod-Stateful\/UploadsFilesQueue\w+: /)]);
  });

  it('reports the real daily report function once its on-failure destination is gone', () => {
    const mutated = withResource('prod-Jobs', 'AWS::Lambda::EventInvokeConfig', 'ScheduledJobsDailyReport', () => undefined);
    expect(asyncTargetsWithoutFailureHandling(mutated)).toEqual([
      expect.stringMatching(/^prod-Jobs\/ScheduledJobsDailyReportFunction\w+: invoked asynchronously by prod-Jobs\/ScheduledJobsDailyReportSchedule/),
    ]);
  });

  it('reports the real files queue once its consumer in the Uploads stack outgrows its visibility timeout', () => {
    const mutated = withResource('prod-Uploads', 'AWS::Lambda::Function', 'UploadProcessingProcessUpload', (r) => ({
      ...r,
      Properties: { ...r.Properties, Timeout: 31 },
    }));
    expect(visibilityTimeoutsTooShort(mutated)).toEqual([
      expect.stringMatching(/^prod-Stateful\/UploadsFilesQueue\w+: visibility timeout 181s is below 6 × 31s \(timeout of prod-Uploads\/UploadProcessingProcessUploadFunction/),
    ]);
  });

  it("reports the real load balancer's group opened to the internet on a port it does not listen on, and accepts its listener port", () => {
    const containers = app['prod-Containers'].Resources ?? {};
    const [groupId, group] = Object.entries(containers).find(([id]) => id.startsWith('ExportServiceLoadBalancerSecurityGroup'))!;
    const openedOn = (port: number) => ({
      ...app,
      'prod-Containers': {
        ...app['prod-Containers'],
        Resources: {
          ...containers,
          [groupId]: {
            ...group,
            Properties: {
              ...group.Properties,
              SecurityGroupIngress: [
                ...((group.Properties?.SecurityGroupIngress as unknown[]) ?? []),
                { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: port, ToPort: port },
              ],
            },
          },
        },
      },
    });

    expect(securityGroupsOpenToWorld(openedOn(22))).toEqual([
      expect.stringMatching(/^prod-Containers\/ExportServiceLoadBalancerSecurityGroup\w+: ingress from 0\.0\.0\.0\/0 on tcp 22-22/),
    ]);
    expect(securityGroupsOpenToWorld(openedOn(443))).toEqual([]);
  });
});

// Hand-made fragments: each policy reports the violation it exists for, naming stack and logical ID.

/** An environment of hand-made stacks. */
function fragment(stacks: Record<string, Record<string, CfnResource>>, outputs: Record<string, CfnTemplate['Outputs']> = {}): AppTemplates {
  return Object.fromEntries(Object.entries(stacks).map(([name, Resources]) => [name, { Resources, Outputs: outputs[name] }]));
}

const arn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const fromStateful = (outputName: string) => ({ 'Fn::GetStackOutput': { StackName: 'dev-Stateful', Region: 'eu-west-1', OutputName: outputName } });
const queue = (props: Record<string, unknown> = {}): CfnResource => ({ Type: 'AWS::SQS::Queue', Properties: props });
const fn = (props: Record<string, unknown> = {}): CfnResource => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 30, LoggingConfig: { LogGroup: { Ref: 'Logs' } }, ...props },
});
const logs: CfnResource = { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } };

describe('template graph', () => {
  const app = fragment(
    {
      'dev-Stateful': { Queue: queue() },
      'dev-Jobs': { Fn: fn(), Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, Name: 'live' } } },
    },
    { 'dev-Stateful': { QueueArnOutput: { Value: arn('Queue'), Export: { Name: 'dev-QueueArn' } } } },
  );

  it.each([
    ['Ref', { Ref: 'Queue' }],
    ['Fn::GetAtt array', arn('Queue')],
    ['Fn::GetAtt string', { 'Fn::GetAtt': 'Queue.Arn' }],
  ])('resolves %s in the same stack', (_name, value) => {
    expect(resolveReference(app, 'dev-Stateful', value)).toMatchObject({ stack: 'dev-Stateful', logicalId: 'Queue' });
  });

  it('resolves Fn::GetStackOutput through the producing stack’s Outputs', () => {
    expect(resolveReference(app, 'dev-Jobs', fromStateful('QueueArnOutput'))).toMatchObject({ stack: 'dev-Stateful', logicalId: 'Queue' });
  });

  it('resolves Fn::ImportValue through the export name', () => {
    expect(resolveReference(app, 'dev-Jobs', { 'Fn::ImportValue': 'dev-QueueArn' })).toMatchObject({ stack: 'dev-Stateful', logicalId: 'Queue' });
  });

  it('resolves nothing for literal ARNs and unknown names', () => {
    expect(resolveReference(app, 'dev-Jobs', 'arn:aws:sqs:eu-west-1:111111111111:other')).toBeUndefined();
    expect(resolveReference(app, 'dev-Jobs', { Ref: 'Queue' })).toBeUndefined();
    expect(resolveReference(app, 'dev-Jobs', fromStateful('NoSuchOutput'))).toBeUndefined();
  });

  it('follows an alias to its function and keeps the alias name as qualifier', () => {
    expect(resolveFunction(app, 'dev-Jobs', { Ref: 'Live' })).toMatchObject({ fn: { logicalId: 'Fn' }, qualifier: 'live' });
  });
});

describe('each policy reports a hand-made violation', () => {
  it('a queue with no redrive policy that is nobody’s dead-letter target', () => {
    const app = fragment({
      'dev-Stateful': { Lonely: queue(), Dlq: queue(), Main: queue({ RedrivePolicy: { deadLetterTargetArn: arn('Dlq'), maxReceiveCount: 5 } }) },
      'dev-Jobs': {
        ScheduleDlq: queue(),
        Schedule: { Type: 'AWS::Scheduler::Schedule', Properties: { Target: { Arn: 'x', DeadLetterConfig: { Arn: arn('ScheduleDlq') } } } },
      },
    });
    expect(queuesWithoutDeadLetterQueue(app)).toEqual([expect.stringMatching(/^dev-Stateful\/Lonely: SQS queue has no RedrivePolicy/)]);
  });

  it('a queue whose only dead-letter role is claimed from another stack counts as a DLQ', () => {
    const app = fragment(
      {
        'dev-Stateful': { Dlq: queue() },
        'dev-Jobs': { Config: { Type: 'AWS::Lambda::EventInvokeConfig', Properties: { DestinationConfig: { OnFailure: { Destination: fromStateful('DlqArn') } } } } },
      },
      { 'dev-Stateful': { DlqArn: { Value: arn('Dlq') } } },
    );
    expect(queuesWithoutDeadLetterQueue(app)).toEqual([]);
    expect(queuesWithoutDeadLetterQueue(fragment({ 'dev-Stateful': { Dlq: queue() } }))).toEqual([
      expect.stringMatching(/^dev-Stateful\/Dlq:/),
    ]);
  });

  it('a visibility timeout below 6 × the consumer timeout plus the window, consumer in another stack', () => {
    const app = fragment(
      {
        'dev-Stateful': { Queue: queue({ VisibilityTimeout: 180 }) },
        'dev-Uploads': {
          Logs: logs,
          Consumer: fn({ Timeout: 30 }),
          Mapping: {
            Type: 'AWS::Lambda::EventSourceMapping',
            Properties: { EventSourceArn: fromStateful('QueueArn'), FunctionName: { Ref: 'Consumer' }, MaximumBatchingWindowInSeconds: 1 },
          },
        },
      },
      { 'dev-Stateful': { QueueArn: { Value: arn('Queue') } } },
    );
    expect(visibilityTimeoutsTooShort(app)).toEqual([
      'dev-Stateful/Queue: visibility timeout 180s is below 6 × 30s (timeout of dev-Uploads/Consumer) + 1s (batching window of dev-Uploads/Mapping) = 181s',
    ]);
  });

  it('an SNS subscription into a queue encrypted with alias/aws/sqs, and S3 into a topic with alias/aws/sns', () => {
    const app = fragment({
      'dev-Stateful': {
        Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'arn:aws:kms:eu-west-1:111111111111:alias/aws/sns' } },
        Queue: queue({ KmsMasterKeyId: 'alias/aws/sqs' }),
        Subscription: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'sqs', Endpoint: arn('Queue'), TopicArn: { Ref: 'Topic' } } },
        Notifications: {
          Type: 'Custom::S3BucketNotifications',
          Properties: { NotificationConfiguration: { TopicConfigurations: [{ TopicArn: { Ref: 'Topic' } }] } },
        },
        // A topic only functions publish to may use the AWS-managed key.
        ReportsTopic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'alias/aws/sns' } },
      },
    });
    expect(deliveryTargetsWithAwsManagedKey(app)).toEqual([
      expect.stringMatching(/^dev-Stateful\/Queue: SNS delivers into it \(from dev-Stateful\/Subscription\)/),
      expect.stringMatching(/^dev-Stateful\/Topic: S3 delivers into it \(from dev-Stateful\/Notifications\)/),
    ]);
  });

  it('an SQS event source mapping without ReportBatchItemFailures', () => {
    const app = fragment({
      'dev-Uploads': { Queue: queue(), Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: arn('Queue'), FunctionName: 'f' } } },
    });
    expect(mappingsWithoutPartialBatchResponse(app)).toEqual([expect.stringMatching(/^dev-Uploads\/Mapping: /)]);
  });

  it('a schedule without retry policy or DLQ, a rule target without either, and a function they invoke without an on-failure destination', () => {
    const app = fragment({
      'dev-Jobs': {
        Logs: logs,
        Job: fn(),
        Schedule: { Type: 'AWS::Scheduler::Schedule', Properties: { Target: { Arn: arn('Job') } } },
        Rule: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Id: 'Target0', Arn: arn('Job') }] } },
      },
    });
    expect(asyncTargetsWithoutFailureHandling(app)).toEqual([
      'dev-Jobs/Schedule: schedule target without RetryPolicy',
      'dev-Jobs/Schedule: schedule target without DeadLetterConfig',
      'dev-Jobs/Rule: rule target Target0 without RetryPolicy',
      'dev-Jobs/Rule: rule target Target0 without DeadLetterConfig',
      expect.stringMatching(/^dev-Jobs\/Job: invoked asynchronously by dev-Jobs\/Schedule /),
      expect.stringMatching(/^dev-Jobs\/Job: invoked asynchronously by dev-Jobs\/Rule /),
    ]);
  });

  it('an async invoke config without an on-failure destination, and one for another qualifier than the schedule invokes', () => {
    const app = fragment({
      'dev-Jobs': {
        Logs: logs,
        Dlq: queue(),
        Job: fn(),
        Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Job' }, Name: 'live' } },
        Config: { Type: 'AWS::Lambda::EventInvokeConfig', Properties: { FunctionName: { Ref: 'Job' }, Qualifier: '$LATEST', MaximumRetryAttempts: 2 } },
        Schedule: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: { Target: { Arn: { Ref: 'Live' }, RetryPolicy: { MaximumRetryAttempts: 3 }, DeadLetterConfig: { Arn: arn('Dlq') } } },
        },
      },
    });
    expect(asyncTargetsWithoutFailureHandling(app)).toEqual([
      expect.stringMatching(/^dev-Jobs\/Job: invoked asynchronously by dev-Jobs\/Schedule \(qualifier live\)/),
      expect.stringMatching(/^dev-Jobs\/Job: invoked asynchronously by dev-Jobs\/Config \(qualifier \$LATEST\)/),
    ]);
  });

  it('a project function without log group, on x86_64 and another runtime; framework handlers are exempt', () => {
    const app = fragment({
      'dev-Api': {
        Stray: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs20.x' } },
        BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.13' } },
        CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x' } },
        NoRetention: { Type: 'AWS::Logs::LogGroup', Properties: {} },
        Forever: fn({ LoggingConfig: { LogGroup: { Ref: 'NoRetention' } } }),
      },
    });
    expect(functionsOffProjectDefaults(app, FUNCTION_RUNTIME.name)).toEqual([
      'dev-Api/Stray: LoggingConfig.LogGroup does not name an AWS::Logs::LogGroup of the app',
      'dev-Api/Stray: Architectures ["x86_64"], not [\'arm64\']',
      `dev-Api/Stray: Runtime nodejs20.x, not the project's ${FUNCTION_RUNTIME.name}`,
      'dev-Api/Forever: its log group dev-Api/NoRetention has no RetentionInDays',
    ]);
  });

  it('a log group without retention', () => {
    const app = fragment({ 'dev-Containers': { Kept: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: 'x' } }, Fine: logs } });
    expect(logGroupsWithoutRetention(app)).toEqual([expect.stringMatching(/^dev-Containers\/Kept: /)]);
  });

  it('a table and a bucket that are deleted with their stack or on replacement, and a table without PITR', () => {
    const app = fragment({
      'prod-Stateful': {
        Table: { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Retain', Properties: {} },
        Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Properties: {} },
      },
    });
    expect(dataStoresNotRetained(app)).toEqual([
      'prod-Stateful/Table: DeletionPolicy Delete, not Retain',
      'prod-Stateful/Table: table without point-in-time recovery',
      'prod-Stateful/Bucket: UpdateReplacePolicy undefined, not Retain',
    ]);
  });

  it('IAM statements with "*", a service-wide action, "*" resources beyond the allow-list, and an unreviewed managed policy', () => {
    const app = fragment({
      'dev-Api': {
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
                { Effect: 'Allow', Action: ['dynamodb:GetItem', 'xray:PutTraceSegments'], Resource: '*' },
                { Effect: 'Deny', Action: '*', Resource: '*' },
              ],
            },
          },
        },
        Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b' } } } },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [{ PolicyName: 'Inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' }] } }],
            ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AdministratorAccess']] }],
          },
        },
      },
    });
    expect(wildcardIamStatements(app)).toEqual([
      'dev-Api/Policy PolicyDocument statement 1: Resource "*" for dynamodb:GetItem',
      'dev-Api/Managed PolicyDocument statement 0: Action s3:*',
      'dev-Api/Role inline policy Inline statement 0: Action *',
      'dev-Api/Role: AWS managed policy AdministratorAccess is not in MANAGED_POLICIES_ALLOWED',
    ]);
  });

  it('ingress from the internet on a non-listener port, by IPv4 and IPv6, inline and as a separate resource', () => {
    const world443 = { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 };
    const app = fragment({
      'dev-Containers': {
        LbGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [world443, { ...world443, FromPort: 22, ToPort: 22 }] } },
        Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internet-facing', SecurityGroups: [{ 'Fn::GetAtt': ['LbGroup', 'GroupId'] }] } },
        Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: { Ref: 'Lb' }, Port: 443 } },
        TaskGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: {} },
        TaskIngress: {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: { GroupId: { 'Fn::GetAtt': ['TaskGroup', 'GroupId'] }, CidrIpv6: '::/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
        },
      },
    });
    expect(securityGroupsOpenToWorld(app)).toEqual([
      "dev-Containers/LbGroup: ingress from 0.0.0.0/0 on tcp 22-22, not a public load balancer's listener port",
      "dev-Containers/TaskIngress: ingress from ::/0 on tcp 443-443, not a public load balancer's listener port",
    ]);
  });

  it('a task definition ARN, a Lambda version and an asset image URI read from another stack; a table ARN is fine', () => {
    const app = fragment(
      {
        'dev-Containers': {
          Task: { Type: 'AWS::ECS::TaskDefinition', Properties: {} },
          Version: { Type: 'AWS::Lambda::Version', Properties: {} },
          Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
        },
        'dev-Jobs': {
          Policy: {
            Type: 'AWS::IAM::Policy',
            Properties: {
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'ecs:RunTask', Resource: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'TaskArn' } } },
                  { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'TableArn' } } },
                ],
              },
            },
          },
          Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionVersion: { 'Fn::ImportValue': 'dev-Version' } } },
          Image: { Type: 'AWS::ECS::TaskDefinition', Properties: { Image: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'ImageUri' } } } },
        },
      },
      {
        'dev-Containers': {
          TaskArn: { Value: { Ref: 'Task' } },
          TableArn: { Value: arn('Table') },
          VersionNumber: { Value: { 'Fn::GetAtt': ['Version', 'Version'] }, Export: { Name: 'dev-Version' } },
          ImageUri: { Value: { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets:' + 'a'.repeat(64) } },
        },
      },
    );
    expect(crossStackValuesThatChangeOnUpdate(app)).toEqual([
      expect.stringMatching(/^dev-Jobs\/Policy: reads dev-Containers output TaskArn \(AWS::ECS::TaskDefinition Ref of dev-Containers\/Task\) through a weak/),
      expect.stringMatching(/^dev-Jobs\/Alias: reads dev-Containers output VersionNumber \(AWS::Lambda::Version Version of dev-Containers\/Version\) through a strong/),
      expect.stringMatching(/^dev-Jobs\/Image: reads dev-Containers output ImageUri \(a container image URI built from an asset\)/),
    ]);
  });
});
