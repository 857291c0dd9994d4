import { ENVIRONMENT_NAMES, ENVIRONMENTS, retainsData } from '../../lib/config';
import { FUNCTION_RUNTIME } from '../../lib/constructs/app-function';
import {
  asyncTargetsWithoutFailureHandling,
  crossStackValuesThatChangeOnUpdate,
  deliveriesRefused,
  functionLogsNotKeptFor,
  subnetsEgressingThroughAnotherZone,
  resourcePoliciesOpenToAnyone,
  type ResourcePolicyException,
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
import { appTemplatesByEnvironment } from '../support/shared-synthesis';
import { resolveFunction, resolveReference, type AppTemplates, type CfnResource, type CfnTemplate } from '../support/template-graph';

/**
 * Statements that let a service in without naming the source, each with the reason that is safe.
 * Execution roles are passed to their service with iam:PassRole by this account's principals, which
 * is what guards them; those services document no source condition for assuming them.
 */
const RESOURCE_POLICY_EXCEPTIONS: readonly ResourcePolicyException[] = [
  {
    kind: 'trust policy',
    principal: 'lambda.amazonaws.com',
    reason: 'Function execution roles: attached to a function only through iam:PassRole in this account.',
  },
  {
    kind: 'trust policy',
    principal: 'ecs-tasks.amazonaws.com',
    reason: 'Task and task execution roles: attached to a task definition only through iam:PassRole in this account.',
  },
  {
    kind: 'trust policy',
    principal: 'apigateway.amazonaws.com',
    reason: "API Gateway's account-level CloudWatch role: set in this account's API Gateway settings through iam:PassRole.",
  },
  {
    kind: 'bucket policy',
    holderPrefix: 'ExportServiceAccessLogsPolicy',
    principal: 'delivery.logs.amazonaws.com',
    reason:
      "Added by the CDK's logAccessLogs for regions where load balancers deliver through log delivery: it may read the ACL and put objects with bucket-owner-full-control under the load balancer's own prefix only; in eu-west-1 the regional ELB account writes.",
  },
];

// Every stack of every environment, synthesized once: a resource added later is scanned too.
const apps = appTemplatesByEnvironment();

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

  it("every function, CDK's custom-resource handlers included, logs to a log group with the environment's retention", () => {
    expect(functionLogsNotKeptFor(app, ENVIRONMENTS[env].logRetention)).toEqual([]);
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

  it('no resource policy lets in everyone, or a service without pinning its source account or resource', () => {
    expect(resourcePoliciesOpenToAnyone(app, RESOURCE_POLICY_EXCEPTIONS)).toEqual([]);
  });

  it('every service that delivers into a resource is allowed to by its resource policy and its key', () => {
    expect(deliveriesRefused(app)).toEqual([]);
  });
});

/**
 * Staging shares one NAT gateway between its zones to save about $32 a month: an outage of that
 * zone cuts staging's task egress, which a test environment may suffer (docs/deploy.md).
 */
const SHARED_NAT_ENVIRONMENTS: readonly string[] = ['staging'];

it.each(ENVIRONMENT_NAMES.filter((env) => !SHARED_NAT_ENVIRONMENTS.includes(env)))(
  'every private subnet of %s egresses through the NAT gateway of its own zone',
  (env) => {
    expect(subnetsEgressingThroughAnotherZone(apps[env])).toEqual([]);
  },
);

it('staging is the only environment that shares a NAT gateway between zones, and it does', () => {
  expect(subnetsEgressingThroughAnotherZone(apps.staging)).not.toEqual([]);
});

// Dev's data is disposable (config.dataRemovalPolicy DESTROY): only the other environments must keep it.
it.each(ENVIRONMENT_NAMES.filter((env) => retainsData(ENVIRONMENTS[env])))(
  'every table and bucket in %s is retained, tables with PITR',
  (env) => {
    expect(dataStoresNotRetained(apps[env])).toEqual([]);
  },
);

describe('the policies see the real wiring', () => {
  const app = apps.prod;
  const [mapping] = Object.entries(app['prod-Uploads'].Resources ?? {}).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');

  it('follows a cross-stack event source back to the queue in the Stateful stack', () => {
    const queue = resolveReference(app, 'prod-Uploads', mapping[1].Properties?.EventSourceArn);
    expect(queue).toMatchObject({ stack: 'prod-Stateful', resource: { Type: 'AWS::SQS::Queue' } });
    expect(queue?.logicalId).toMatch(/^UploadsFilesQueue/);
  });

  /** `app` with one resource of one stack, found by type and logical ID prefix, replaced (or removed when `change` returns undefined). */
  function withResource(
    stack: string,
    type: string,
    idPrefix: string,
    change: (resource: CfnResource) => CfnResource | undefined,
  ): AppTemplates {
    const resources = { ...(app[stack].Resources ?? {}) };
    const id = Object.keys(resources).find((logicalId) => logicalId.startsWith(idPrefix) && resources[logicalId].Type === type)!;
    const changed = change(resources[id]);
    if (changed === undefined) delete resources[id];
    else resources[id] = changed;
    return { ...app, [stack]: { ...app[stack], Resources: resources } };
  }

  it('reports the real files queue once its redrive policy is gone', () => {
    const mutated = withResource('prod-Stateful', 'AWS::SQS::Queue', 'UploadsFilesQueue', (r) => ({
      ...r,
      Properties: { ...r.Properties, RedrivePolicy: undefined },
    }));
    expect(queuesWithoutDeadLetterQueue(mutated)).toEqual([expect.stringMatching(/^prod-Stateful\/UploadsFilesQueue\w+: /)]);
  });

  it('reports the real daily report function once its on-failure destination is gone', () => {
    const mutated = withResource('prod-Jobs', 'AWS::Lambda::EventInvokeConfig', 'ScheduledJobsDailyReport', () => undefined);
    expect(asyncTargetsWithoutFailureHandling(mutated)).toEqual([
      expect.stringMatching(
        /^prod-Jobs\/ScheduledJobsDailyReportFunction\w+: invoked asynchronously by prod-Jobs\/ScheduledJobsDailyReportSchedule/,
      ),
    ]);
  });

  it('reports the real files queue once its consumer in the Uploads stack outgrows its visibility timeout', () => {
    const mutated = withResource('prod-Uploads', 'AWS::Lambda::Function', 'UploadProcessingProcessUpload', (r) => ({
      ...r,
      Properties: { ...r.Properties, Timeout: 31 },
    }));
    expect(visibilityTimeoutsTooShort(mutated)).toEqual([
      expect.stringMatching(
        /^prod-Stateful\/UploadsFilesQueue\w+: visibility timeout 181s is below 6 × 31s \(timeout of prod-Uploads\/UploadProcessingProcessUploadFunction/,
      ),
    ]);
  });

  /** `app` with the statements of the real resource policy of `type` whose ID starts with `idPrefix` changed. */
  function withStatements(
    stack: string,
    type: string,
    idPrefix: string,
    change: (statements: Record<string, unknown>[]) => Record<string, unknown>[],
  ): AppTemplates {
    return withResource(stack, type, idPrefix, (r) => {
      const document = r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
      return { ...r, Properties: { ...r.Properties, PolicyDocument: { ...document, Statement: change(document.Statement) } } };
    });
  }

  it('reports the real imports queue once it allows sqs:SendMessage to everyone', () => {
    const worldWritable = withStatements('prod-Stateful', 'AWS::SQS::QueuePolicy', 'ImportsQueuePolicy', (statements) => [
      ...statements,
      { Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: '*' },
    ]);
    expect(resourcePoliciesOpenToAnyone(worldWritable, RESOURCE_POLICY_EXCEPTIONS)).toEqual([
      expect.stringMatching(/^prod-Stateful\/ImportsQueuePolicy\w+: queue policy statement \d+ allows \* \(sqs:SendMessage\)/),
    ]);
  });

  it('reports the real uploads topic once its S3 statement names only the bucket (as before), and the flow-logs role trusting any account', () => {
    const unpinned = withStatements('prod-Stateful', 'AWS::SNS::TopicPolicy', 'UploadsTopicPolicy', (statements) =>
      statements.map((statement) =>
        JSON.stringify(statement.Principal).includes('s3.amazonaws.com')
          ? { ...statement, Condition: { ArnLike: (statement.Condition as { ArnLike: unknown }).ArnLike } }
          : statement,
      ),
    );
    const anyAccount = withResource('prod-Containers', 'AWS::IAM::Role', 'NetworkFlowLogsRole', (r) => ({
      ...r,
      Properties: {
        ...r.Properties,
        AssumeRolePolicyDocument: {
          Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    }));
    expect(resourcePoliciesOpenToAnyone(unpinned, RESOURCE_POLICY_EXCEPTIONS)).toEqual([
      expect.stringMatching(/^prod-Stateful\/UploadsTopicPolicy\w+: topic policy statement \d+ allows s3\.amazonaws\.com \(sns:Publish\)/),
    ]);
    expect(resourcePoliciesOpenToAnyone(anyAccount, RESOURCE_POLICY_EXCEPTIONS)).toEqual([
      expect.stringMatching(/^prod-Containers\/NetworkFlowLogsRole\w+: trust policy statement 0 allows vpc-flow-logs\.amazonaws\.com/),
    ]);
  });

  it('reports every alarm of the real alarm topic once its policy holds only the SSL Deny (as at 90405af)', () => {
    const denyOnly = withStatements('prod-Operations', 'AWS::SNS::TopicPolicy', 'MonitoringAlarmTopicPolicy', (statements) =>
      statements.filter((statement) => statement.Effect === 'Deny'),
    );
    const refused = deliveriesRefused(denyOnly);
    const alarms = Object.values(app['prod-Operations'].Resources ?? {}).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    expect(refused).toHaveLength(alarms.length);
    for (const message of refused) {
      expect(message).toMatch(
        /^prod-Operations\/MonitoringAlarmTopic\w+: cloudwatch\.amazonaws\.com delivers into it \(from prod-Operations\/Monitoring\w+Alarm\w+\), but its topic policy .* allows cloudwatch\.amazonaws\.com no sns:Publish$/,
      );
    }
  });

  it('reports the real alarm topic once its key no longer lets CloudWatch encrypt', () => {
    const keyWithoutCloudWatch = withResource('prod-Operations', 'AWS::KMS::Key', 'AlarmTopicKey', (r) => {
      const policy = r.Properties?.KeyPolicy as { Statement: { Principal?: unknown }[] };
      return {
        ...r,
        Properties: {
          ...r.Properties,
          KeyPolicy: { ...policy, Statement: policy.Statement.filter((s) => !JSON.stringify(s.Principal).includes('cloudwatch')) },
        },
      };
    });
    expect(deliveriesRefused(keyWithoutCloudWatch)[0]).toMatch(
      /^prod-Operations\/MonitoringAlarmTopic\w+: .* but its key prod-Operations\/AlarmTopicKey\w+ does not let cloudwatch\.amazonaws\.com/,
    );
  });

  it('reports the real uploads topic, files queue, schedule DLQ and access-log bucket once each refuses its deliverer', () => {
    const s3Refused = withStatements('prod-Stateful', 'AWS::SNS::TopicPolicy', 'UploadsTopicPolicy', (statements) =>
      statements.filter((s) => s.Effect === 'Deny'),
    );
    const snsRefused = withStatements('prod-Stateful', 'AWS::SQS::QueuePolicy', 'UploadsFilesQueuePolicy', (statements) =>
      statements.filter((s) => s.Effect === 'Deny'),
    );
    const logsRefused = withStatements('prod-Containers', 'AWS::S3::BucketPolicy', 'ExportServiceAccessLogsPolicy', (statements) =>
      statements.filter((s) => s.Action !== 's3:PutObject'),
    );
    // One edge per notification configuration (incoming/ and imports/).
    const s3Edge = expect.stringMatching(
      /^prod-Stateful\/UploadsTopic\w+: s3\.amazonaws\.com delivers into it \(from prod-Stateful\/\w+\), but its topic policy/,
    );
    expect(deliveriesRefused(s3Refused)).toEqual([s3Edge, s3Edge]);
    expect(deliveriesRefused(snsRefused)).toEqual([
      expect.stringMatching(/^prod-Stateful\/UploadsFilesQueue\w+: sns\.amazonaws\.com delivers into it/),
    ]);
    expect(deliveriesRefused(logsRefused)).toEqual([
      expect.stringMatching(/^prod-Containers\/ExportServiceAccessLogs\w+: elasticloadbalancing delivers into it/),
    ]);
    const schedulerRoles = Object.entries(app['prod-Jobs'].Resources ?? {}).filter(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('SchedulerRoleForTarget'),
    );
    expect(schedulerRoles.length).toBeGreaterThan(0);
    const withoutSchedulerPolicies = {
      ...app,
      'prod-Jobs': {
        ...app['prod-Jobs'],
        Resources: Object.fromEntries(
          Object.entries(app['prod-Jobs'].Resources ?? {}).filter(([id]) => !schedulerRoles.some(([roleId]) => roleId === id)),
        ),
      },
    };
    expect(deliveriesRefused(withoutSchedulerPolicies)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^prod-Jobs\/ScheduledJobs\w+: scheduler\.amazonaws\.com delivers into it .* but its role prod-Jobs\/SchedulerRoleForTarget\w+ may not sqs:SendMessage/,
        ),
      ]),
    );
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
const fromStateful = (outputName: string) => ({
  'Fn::GetStackOutput': { StackName: 'dev-Stateful', Region: 'eu-west-1', OutputName: outputName },
});
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
    expect(resolveReference(app, 'dev-Jobs', { 'Fn::ImportValue': 'dev-QueueArn' })).toMatchObject({
      stack: 'dev-Stateful',
      logicalId: 'Queue',
    });
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
      'dev-Stateful': {
        Lonely: queue(),
        Dlq: queue(),
        Main: queue({ RedrivePolicy: { deadLetterTargetArn: arn('Dlq'), maxReceiveCount: 5 } }),
      },
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
        'dev-Jobs': {
          Config: {
            Type: 'AWS::Lambda::EventInvokeConfig',
            Properties: { DestinationConfig: { OnFailure: { Destination: fromStateful('DlqArn') } } },
          },
        },
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
        Subscription: {
          Type: 'AWS::SNS::Subscription',
          Properties: { Protocol: 'sqs', Endpoint: arn('Queue'), TopicArn: { Ref: 'Topic' } },
        },
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
      'dev-Uploads': {
        Queue: queue(),
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: arn('Queue'), FunctionName: 'f' } },
      },
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
        Config: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: { FunctionName: { Ref: 'Job' }, Qualifier: '$LATEST', MaximumRetryAttempts: 2 },
        },
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
        BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691: {
          Type: 'AWS::Lambda::Function',
          Properties: { Runtime: 'python3.13' },
        },
        CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F: {
          Type: 'AWS::Lambda::Function',
          Properties: { Runtime: 'nodejs22.x' },
        },
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
        Managed: {
          Type: 'AWS::IAM::ManagedPolicy',
          Properties: { PolicyDocument: { Statement: { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b' } } },
        },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              { PolicyName: 'Inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b' }] } },
            ],
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
        LbGroup: {
          Type: 'AWS::EC2::SecurityGroup',
          Properties: { SecurityGroupIngress: [world443, { ...world443, FromPort: 22, ToPort: 22 }] },
        },
        Lb: {
          Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          Properties: { Scheme: 'internet-facing', SecurityGroups: [{ 'Fn::GetAtt': ['LbGroup', 'GroupId'] }] },
        },
        Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: { Ref: 'Lb' }, Port: 443 } },
        TaskGroup: { Type: 'AWS::EC2::SecurityGroup', Properties: {} },
        TaskIngress: {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: {
            GroupId: { 'Fn::GetAtt': ['TaskGroup', 'GroupId'] },
            CidrIpv6: '::/0',
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
          },
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
                  {
                    Effect: 'Allow',
                    Action: 'ecs:RunTask',
                    Resource: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'TaskArn' } },
                  },
                  {
                    Effect: 'Allow',
                    Action: 'dynamodb:GetItem',
                    Resource: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'TableArn' } },
                  },
                ],
              },
            },
          },
          Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionVersion: { 'Fn::ImportValue': 'dev-Version' } } },
          Image: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: { Image: { 'Fn::GetStackOutput': { StackName: 'dev-Containers', OutputName: 'ImageUri' } } },
          },
        },
      },
      {
        'dev-Containers': {
          TaskArn: { Value: { Ref: 'Task' } },
          TableArn: { Value: arn('Table') },
          VersionNumber: { Value: { 'Fn::GetAtt': ['Version', 'Version'] }, Export: { Name: 'dev-Version' } },
          ImageUri: {
            Value: { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets:' + 'a'.repeat(64) },
          },
        },
      },
    );
    expect(crossStackValuesThatChangeOnUpdate(app)).toEqual([
      expect.stringMatching(
        /^dev-Jobs\/Policy: reads dev-Containers output TaskArn \(AWS::ECS::TaskDefinition Ref of dev-Containers\/Task\) through a weak/,
      ),
      expect.stringMatching(
        /^dev-Jobs\/Alias: reads dev-Containers output VersionNumber \(AWS::Lambda::Version Version of dev-Containers\/Version\) through a strong/,
      ),
      expect.stringMatching(/^dev-Jobs\/Image: reads dev-Containers output ImageUri \(a container image URI built from an asset\)/),
    ]);
  });

  it('resource policies that let in everyone or an unpinned service; pinned ones, denials and listed exceptions pass', () => {
    const statement = (principal: unknown, action: string, condition?: Record<string, unknown>) => ({
      Effect: 'Allow',
      Principal: principal,
      Action: action,
      Resource: '*',
      Condition: condition,
    });
    const app = fragment({
      'dev-Stateful': {
        Queue: queue(),
        QueuePolicy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: {
            Queues: [{ Ref: 'Queue' }],
            PolicyDocument: {
              Statement: [
                statement('*', 'sqs:SendMessage'),
                statement({ AWS: '*' }, 'sqs:ReceiveMessage', { StringEquals: { 'aws:PrincipalAccount': '111111111111' } }),
                statement({ Service: 'sns.amazonaws.com' }, 'sqs:SendMessage', { ArnEquals: { 'aws:SourceArn': { Ref: 'Topic' } } }),
                { Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*' },
              ],
            },
          },
        },
        Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
        TopicPolicy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: {
            Topics: [{ Ref: 'Topic' }],
            PolicyDocument: {
              Statement: [statement({ Service: 's3.amazonaws.com' }, 'sns:Publish', { ArnLike: { 'aws:SourceArn': arn('Bucket') } })],
            },
          },
        },
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: {
            KeyPolicy: {
              Statement: [
                statement({ Service: ['cloudwatch.amazonaws.com'] }, 'kms:Decrypt', {
                  StringEquals: { 'aws:SourceAccount': '111111111111' },
                }),
              ],
            },
          },
        },
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction', FunctionName: 'f' },
        },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: { Statement: [statement({ Service: 'vpc-flow-logs.amazonaws.com' }, 'sts:AssumeRole')] },
          },
        },
        FunctionRole: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: { Statement: [statement({ Service: 'lambda.amazonaws.com' }, 'sts:AssumeRole')] } },
        },
      },
    });
    expect(resourcePoliciesOpenToAnyone(app, [{ kind: 'trust policy', principal: 'lambda.amazonaws.com', reason: 'test' }])).toEqual([
      'dev-Stateful/QueuePolicy: queue policy statement 0 allows * (sqs:SendMessage) without aws:SourceArn or aws:SourceAccount',
      'dev-Stateful/TopicPolicy: topic policy statement 0 allows s3.amazonaws.com (sns:Publish) without aws:SourceArn or aws:SourceAccount',
      'dev-Stateful/Role: trust policy statement 0 allows vpc-flow-logs.amazonaws.com (sts:AssumeRole) without aws:SourceArn or aws:SourceAccount',
      'dev-Stateful/Permission: Lambda permission statement 0 allows events.amazonaws.com (lambda:InvokeFunction) without aws:SourceArn or aws:SourceAccount',
    ]);
  });

  it('deliveries a resource policy or a customer key refuses: alarm → topic, SNS → queue, Lambda destination → queue, logs → bucket', () => {
    const allow = (service: string, action: string | string[]) => ({
      Effect: 'Allow',
      Principal: { Service: service },
      Action: action,
      Resource: '*',
    });
    const denyInsecure = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    const app = fragment({
      'dev-Operations': {
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: { KeyPolicy: { Statement: [allow('s3.amazonaws.com', ['kms:Decrypt', 'kms:GenerateDataKey*'])] } },
        },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: arn('Key') } },
        TopicPolicy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: [denyInsecure] } },
        },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [{ Ref: 'Topic' }] } },
        // A topic without a policy keeps SNS's default one; its key lets CloudWatch in.
        OpenKey: {
          Type: 'AWS::KMS::Key',
          Properties: { KeyPolicy: { Statement: [allow('cloudwatch.amazonaws.com', ['kms:Decrypt', 'kms:GenerateDataKey*'])] } },
        },
        FineTopic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: arn('OpenKey') } },
        FineAlarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [{ Ref: 'FineTopic' }] } },
        Queue: queue(),
        QueuePolicy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: { Queues: [{ Ref: 'Queue' }], PolicyDocument: { Statement: [allow('s3.amazonaws.com', 'sqs:SendMessage')] } },
        },
        Subscription: {
          Type: 'AWS::SNS::Subscription',
          Properties: { Protocol: 'sqs', Endpoint: arn('Queue'), TopicArn: { Ref: 'FineTopic' } },
        },
        Logs: logs,
        FnRole: { Type: 'AWS::IAM::Role', Properties: {} },
        Fn: fn({ Role: arn('FnRole') }),
        Dlq: queue(),
        Config: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: { FunctionName: { Ref: 'Fn' }, DestinationConfig: { OnFailure: { Destination: arn('Dlq') } } },
        },
        LogBucket: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
          },
        },
        LogBucketPolicy: { Type: 'AWS::S3::BucketPolicy', Properties: { Bucket: { Ref: 'LogBucket' }, PolicyDocument: { Statement: [] } } },
        Lb: {
          Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          Properties: {
            LoadBalancerAttributes: [
              { Key: 'access_logs.s3.enabled', Value: 'true' },
              { Key: 'access_logs.s3.bucket', Value: { Ref: 'LogBucket' } },
            ],
          },
        },
      },
    });
    expect(deliveriesRefused(app)).toEqual([
      'dev-Operations/Topic: cloudwatch.amazonaws.com delivers into it (from dev-Operations/Alarm), but its topic policy dev-Operations/TopicPolicy allows cloudwatch.amazonaws.com no sns:Publish',
      'dev-Operations/Topic: cloudwatch.amazonaws.com delivers into it (from dev-Operations/Alarm), but its key dev-Operations/Key does not let cloudwatch.amazonaws.com kms:GenerateDataKey*, kms:Decrypt',
      'dev-Operations/Queue: sns.amazonaws.com delivers into it (from dev-Operations/Subscription), but its queue policy dev-Operations/QueuePolicy allows sns.amazonaws.com no sqs:SendMessage',
      'dev-Operations/Dlq: lambda.amazonaws.com delivers into it (from dev-Operations/Config), but its role dev-Operations/FnRole may not sqs:SendMessage there',
      "dev-Operations/LogBucket: elasticloadbalancing delivers into it (from dev-Operations/Lb), but no bucket policy lets the region's load balancer log writer s3:PutObject",
      'dev-Operations/LogBucket: elasticloadbalancing delivers into it (from dev-Operations/Lb), but the bucket is encrypted with KMS, which load balancer access logs do not support',
    ]);
  });

  it("a function on its implicit log group, and one whose group keeps logs longer than the environment's retention", () => {
    const app = fragment({
      'dev-Stateful': {
        Logs: logs,
        Kept: fn(),
        Handler: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.13' } },
        LongLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 365 } },
        Long: fn({ LoggingConfig: { LogGroup: { Ref: 'LongLogs' } } }),
      },
    });
    expect(functionLogsNotKeptFor(app, 7)).toEqual([
      'dev-Stateful/Handler: logs to no log group of the app (its implicit group never expires)',
      "dev-Stateful/Long: its log group dev-Stateful/LongLogs keeps events 365 days, not the environment's 7",
    ]);
  });

  it('a private subnet routed to the NAT gateway of another zone', () => {
    const subnet = (zone: string) => ({ Type: 'AWS::EC2::Subnet', Properties: { AvailabilityZone: zone } });
    const app = fragment({
      'dev-Containers': {
        PublicA: subnet('eu-west-1a'),
        NatA: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'PublicA' } } },
        PrivateA: subnet('eu-west-1a'),
        PrivateB: subnet('eu-west-1b'),
        TableA: { Type: 'AWS::EC2::RouteTable', Properties: {} },
        TableB: { Type: 'AWS::EC2::RouteTable', Properties: {} },
        AssocA: {
          Type: 'AWS::EC2::SubnetRouteTableAssociation',
          Properties: { SubnetId: { Ref: 'PrivateA' }, RouteTableId: { Ref: 'TableA' } },
        },
        AssocB: {
          Type: 'AWS::EC2::SubnetRouteTableAssociation',
          Properties: { SubnetId: { Ref: 'PrivateB' }, RouteTableId: { Ref: 'TableB' } },
        },
        RouteA: {
          Type: 'AWS::EC2::Route',
          Properties: { RouteTableId: { Ref: 'TableA' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatA' } },
        },
        RouteB: {
          Type: 'AWS::EC2::Route',
          Properties: { RouteTableId: { Ref: 'TableB' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatA' } },
        },
      },
    });
    expect(subnetsEgressingThroughAnotherZone(app)).toEqual([
      'dev-Containers/PrivateB (eu-west-1b): egresses through dev-Containers/NatA in eu-west-1a',
    ]);
  });
});
