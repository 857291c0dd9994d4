import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  PeriodOverride,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  HttpCodeElb,
  HttpCodeTarget,
  type ApplicationLoadBalancer,
  type ApplicationTargetGroup,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';

/** A queue with a consumer, and the dead-letter queue its failed messages end in. */
export interface MonitoredQueue {
  /** How people call it, in alarm descriptions and on the dashboard. */
  readonly name: string;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** A message older than this means the consumer is not keeping up. @default Duration.minutes(15) */
  readonly maxMessageAge?: Duration;
}

/** One data flow of the platform, as its dashboard row and its alarms see it. */
export interface MonitoredFlow {
  readonly title: string;
  /** Functions whose errors and throttles are alarmed, by display name. */
  readonly functions?: Readonly<Record<string, IFunction>>;
  readonly queues?: readonly MonitoredQueue[];
  /** Dead-letter queues with no source queue (failed schedules, asynchronous invocations). */
  readonly deadLetterQueues?: Readonly<Record<string, IQueue>>;
  readonly api?: RestApi;
  readonly stateMachine?: IStateMachine;
  readonly loadBalancer?: { readonly alb: ApplicationLoadBalancer; readonly targetGroup: ApplicationTargetGroup };
}

export interface PlatformMonitoringProps {
  readonly environmentName: string;
  readonly flows: readonly MonitoredFlow[];
  /** Who is told when an alarm fires. @default no subscription (alarms still show in the console) */
  readonly alarmEmail?: string;
  /** Encrypts the alarm topic; CloudWatch must be allowed to use it. */
  readonly topicKey: IKey;
  /**
   * Conditions under which CloudWatch may publish to the alarm topic (the source account and alarm
   * ARNs). A topic policy replaces SNS's default one, so without this Allow no alarm is delivered.
   */
  readonly publisherConditions: Readonly<Record<string, Record<string, unknown>>>;
  /** p99 latency above this, for three periods in a row, alarms. @default Duration.seconds(2) */
  readonly apiLatencyP99?: Duration;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms and a dashboard for the whole platform, laid out by data flow. Every alarm goes to one
 * topic; its description says what failed and where to look. Alarms fire on the first failure
 * where a failure means lost work (a message in a DLQ, a failed execution), and on sustained
 * trouble elsewhere (latency, unhealthy tasks).
 */
export class PlatformMonitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);

    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: props.topicKey, enforceSSL: true });
    // enforceSSL creates a topic policy holding only a Deny; that policy replaces SNS's default one.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: props.publisherConditions,
      }),
    );
    if (props.alarmEmail !== undefined) {
      const undelivered = new DeadLetterQueue(this, 'UndeliveredAlarmsQueue', { holds: 'alarm notifications SNS could not email' });
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail, { deadLetterQueue: undelivered }));
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3), periodOverride: PeriodOverride.AUTO });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# User-data platform (${props.environmentName})\nOne row per data flow: API, uploads, imports, schedules, containers. Alarms go to the alarm topic.`,
        width: 24,
        height: 2,
      }),
    );

    for (const flow of props.flows) {
      const widgets = this.monitorFlow(flow, props);
      this.dashboard.addWidgets(new TextWidget({ markdown: `## ${flow.title}`, width: 24, height: 1 }));
      for (let i = 0; i < widgets.length; i += 4) this.dashboard.addWidgets(...widgets.slice(i, i + 4));
    }
  }

  private monitorFlow(flow: MonitoredFlow, props: PlatformMonitoringProps): IWidget[] {
    const widgets: IWidget[] = [];
    const where = flow.title;

    if (flow.api !== undefined) {
      const api = flow.api;
      const serverErrors = api.metricServerError({ period: PERIOD, statistic: 'Sum' });
      const latency = api.metricLatency({ period: PERIOD, statistic: 'p99' });
      this.alarm(`${where}Api5xx`, serverErrors, 1, `${where}: the API answered with a 5xx (a handler bug or a failing dependency)`);
      this.alarm(
        `${where}ApiLatency`,
        latency,
        (props.apiLatencyP99 ?? Duration.seconds(2)).toMilliseconds(),
        `${where}: p99 API latency above ${(props.apiLatencyP99 ?? Duration.seconds(2)).toSeconds()} s for 15 minutes`,
        3,
      );
      widgets.push(
        graph('Requests and errors', [
          api.metricCount({ period: PERIOD, statistic: 'Sum' }),
          api.metricClientError({ period: PERIOD, statistic: 'Sum' }),
          serverErrors,
        ]),
        graph('Latency p50 / p99 (ms)', [api.metricLatency({ period: PERIOD, statistic: 'p50' }), latency]),
      );
    }

    const functions = Object.entries(flow.functions ?? {});
    if (functions.length > 0) {
      for (const [name, fn] of functions) {
        this.alarm(
          `${name}Errors`,
          fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
          1,
          `${where}: ${name} failed (see its log group)`,
        );
        this.alarm(
          `${name}Throttles`,
          fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
          1,
          `${where}: ${name} was throttled (concurrency limit reached)`,
        );
      }
      widgets.push(
        graph(
          'Function errors',
          functions.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })),
        ),
        graph(
          'Function throttles',
          functions.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: name })),
        ),
        graph(
          'Function duration p99 (ms)',
          functions.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name })),
        ),
      );
    }

    for (const monitored of flow.queues ?? []) {
      const maxAge = monitored.maxMessageAge ?? Duration.minutes(15);
      const age = monitored.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' });
      this.alarm(
        `${monitored.name}OldestMessage`,
        age,
        maxAge.toSeconds(),
        `${where}: a message has waited over ${maxAge.toMinutes()} minutes in the ${monitored.name} queue`,
      );
      this.deadLetterAlarm(monitored.name, monitored.deadLetterQueue, where);
      widgets.push(
        graph(`${monitored.name} queue`, [
          monitored.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'waiting' }),
          monitored.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'in DLQ' }),
        ]),
        graph(`${monitored.name} oldest message (s)`, [age]),
      );
    }

    const deadLetterQueues = Object.entries(flow.deadLetterQueues ?? {});
    for (const [name, queue] of deadLetterQueues) this.deadLetterAlarm(name, queue, where);
    if (deadLetterQueues.length > 0) {
      widgets.push(
        graph(
          'Dead-letter queues',
          deadLetterQueues.map(([name, queue]) =>
            queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: name }),
          ),
        ),
      );
    }

    if (flow.stateMachine !== undefined) {
      const machine = flow.stateMachine;
      const failed = machine.metricFailed({ period: PERIOD, statistic: 'Sum' });
      const timedOut = machine.metricTimedOut({ period: PERIOD, statistic: 'Sum' });
      this.alarm(`${where}ExecutionsFailed`, failed, 1, `${where}: an execution failed (GET /imports/{id} tells why)`);
      this.alarm(`${where}ExecutionsTimedOut`, timedOut, 1, `${where}: an execution timed out`);
      widgets.push(
        graph('Executions', [
          machine.metricStarted({ period: PERIOD, statistic: 'Sum' }),
          machine.metricSucceeded({ period: PERIOD, statistic: 'Sum' }),
          failed,
          timedOut,
        ]),
      );
    }

    if (flow.loadBalancer !== undefined) {
      const { alb, targetGroup } = flow.loadBalancer;
      const unhealthy = targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' });
      const elb5xx = alb.metrics.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { period: PERIOD, statistic: 'Sum' });
      const target5xx = alb.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: PERIOD, statistic: 'Sum' });
      const all5xx = new MathExpression({
        expression: 'FILL(elb, 0) + FILL(target, 0)',
        usingMetrics: { elb: elb5xx, target: target5xx },
        period: PERIOD,
        label: '5xx',
      });
      this.alarm(`${where}UnhealthyTasks`, unhealthy, 1, `${where}: export service tasks are failing their health checks`, 5);
      this.alarm(`${where}Alb5xx`, all5xx, 5, `${where}: the load balancer or its tasks answered with 5xx responses`);
      widgets.push(
        graph('Load balancer requests and 5xx', [alb.metrics.requestCount({ period: PERIOD, statistic: 'Sum' }), elb5xx, target5xx]),
        graph('Healthy / unhealthy tasks', [
          targetGroup.metrics.healthyHostCount({ period: Duration.minutes(1), statistic: 'Minimum' }),
          unhealthy,
        ]),
      );
    }
    return widgets;
  }

  private deadLetterAlarm(name: string, queue: IQueue, where: string): void {
    this.alarm(
      `${name}DeadLetters`,
      queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      1,
      `${where}: messages are waiting in the ${name} dead-letter queue (work that failed every retry; inspect and redrive)`,
    );
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1): Alarm {
    const alarm = new Alarm(this, `${id.replace(/[^A-Za-z0-9]/g, '')}Alarm`, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no requests, no messages, no executions.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 6, height: 6 });
}
