import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { monitoredQueue } from '../../lib/constructs/monitored-queue';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config';
import { synthesizedApp } from '../support/shared-synthesis';
import { stacksOf, templateOf } from '../support/synth';

const stages = synthesizedApp();
const operations = (env: EnvironmentName): Template => templateOf(stages[env].operations);

type Resource = { Type: string; Properties: Record<string, any> };
const alarmsOf = (env: EnvironmentName) => Object.values(operations(env).findResources('AWS::CloudWatch::Alarm')) as Resource[];

/** The logical IDs a cross-stack reference in the operations stack points at, by producing stack output. */
function referencedLogicalIds(env: EnvironmentName): Set<string> {
  const ids = new Set<string>();
  for (const stack of stacksOf(stages[env])) {
    for (const [name, output] of Object.entries((templateOf(stack).toJSON().Outputs ?? {}) as Record<string, { Value: unknown }>)) {
      const ref = JSON.stringify(output.Value).match(/"(?:Ref|Fn::GetAtt)":\["?([A-Za-z0-9]+)/);
      if (ref && JSON.stringify(operations(env).toJSON()).includes(`"OutputName":"${name}"`)) ids.add(ref[1]);
    }
  }
  return ids;
}

describe('operations stack', () => {
  it.each(ENVIRONMENT_NAMES)('sends every alarm of %s to the alarm topic', (env) => {
    const topics = Object.keys(operations(env).findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const alarms = alarmsOf(env);
    expect(alarms.length).toBeGreaterThan(20);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0] }]);
      expect(alarm.Properties.AlarmDescription).toEqual(expect.any(String));
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('emails the alarms in staging and prod, through a subscription whose undelivered messages are kept', () => {
    for (const env of ['staging', 'prod'] as const) {
      operations(env).hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'platform-alerts@example.com',
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UndeliveredAlarmsQueue'), 'Arn'] } },
      });
    }
    operations('dev').resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('encrypts the alarm topic with a key CloudWatch may use', () => {
    const key = Object.values(operations('prod').findResources('AWS::KMS::Key'))[0] as Resource;
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    operations('prod').hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] },
    });
  });

  it.each(ENVIRONMENT_NAMES)(
    'lets CloudWatch alarms of %s publish to the alarm topic and use its key, pinned to the account and its alarms',
    (env) => {
      const topicId = Object.keys(operations(env).findResources('AWS::SNS::Topic'))[0];
      const pinned = {
        StringEquals: { 'aws:SourceAccount': Match.anyValue() },
        ArnLike: { 'aws:SourceArn': Match.anyValue() },
      };
      operations(env).hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: pinned,
            }),
          ]),
        },
      });
      operations(env).hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: pinned,
            }),
          ]),
        },
      });
    },
  );

  it('alarms on the first message in every dead-letter queue of the platform', () => {
    const deadLetterQueues = stacksOf(stages.prod).flatMap((stack) =>
      Object.keys(templateOf(stack).findResources('AWS::SQS::Queue')).filter((id) => /DeadLetterQueue/.test(id)),
    );
    const watched = referencedLogicalIds('prod');
    const dlqAlarms = alarmsOf('prod').filter((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');

    expect(deadLetterQueues.length).toBeGreaterThanOrEqual(4);
    for (const queue of deadLetterQueues) expect(watched).toContain(queue);
    for (const alarm of dlqAlarms) {
      expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
    }
    expect(dlqAlarms.length).toBe(deadLetterQueues.length);
  });

  it('alarms on errors and throttles of every project function', () => {
    // Project functions are AppFunctions, which all name their service; CDK's own handlers do not.
    const isProjectFunction = (fn: Resource) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined;
    const functionCount = stacksOf(stages.prod)
      .map(
        (stack) => (Object.values(templateOf(stack).findResources('AWS::Lambda::Function')) as Resource[]).filter(isProjectFunction).length,
      )
      .reduce((sum, count) => sum + count, 0);
    const byMetric = (name: string) =>
      alarmsOf('prod').filter((alarm) => alarm.Properties.MetricName === name && alarm.Properties.Namespace === 'AWS/Lambda');

    expect(byMetric('Errors')).toHaveLength(functionCount);
    expect(byMetric('Throttles')).toHaveLength(functionCount);
  });

  it('alarms on API 5xx and p99 latency, failed or timed-out imports, old queue messages, unhealthy tasks and ALB 5xx', () => {
    const metrics = alarmsOf('prod').map(
      (alarm) => `${alarm.Properties.Namespace ?? 'math'}:${alarm.Properties.MetricName ?? 'expression'}`,
    );

    expect(metrics).toEqual(
      expect.arrayContaining([
        'AWS/ApiGateway:5XXError',
        'AWS/ApiGateway:Latency',
        'AWS/States:ExecutionsFailed',
        'AWS/States:ExecutionsTimedOut',
        'AWS/SQS:ApproximateAgeOfOldestMessage',
        'AWS/ApplicationELB:UnHealthyHostCount',
        'math:expression',
      ]),
    );
    const latency = alarmsOf('prod').find((alarm) => alarm.Properties.MetricName === 'Latency');
    expect(latency?.Properties).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 2000, EvaluationPeriods: 3 });
  });

  it('lays out one dashboard per environment by data flow', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const dashboards = Object.values(operations(env).findResources('AWS::CloudWatch::Dashboard')) as Resource[];
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
      const order = ['## API', '## Uploads', '## Imports', '## Schedules', '## Containers'].map((title) => body.indexOf(title));
      expect(order.every((position) => position > 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    }
  });
});

describe('monitored queues', () => {
  it('refuses to watch a consumed queue that has no dead-letter queue', () => {
    const stack = new Stack();
    const dlq = new Queue(stack, 'Dlq');
    const withDlq = new Queue(stack, 'WithDlq', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });

    expect(monitoredQueue('With', withDlq)).toEqual({ name: 'With', queue: withDlq, deadLetterQueue: dlq });
    expect(() => monitoredQueue('Without', new Queue(stack, 'WithoutDlq'))).toThrow(/Without queue has no dead-letter queue/);
  });
});
