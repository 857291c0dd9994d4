import { ArnFormat, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import { PlatformMonitoring, type MonitoredFlow } from './constructs/platform-monitoring';

export interface OperationsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** What to watch, one entry per data flow, in dashboard order. */
  readonly flows: readonly MonitoredFlow[];
}

/** Alarms, the alarm topic and the dashboard of one environment. Deployed last: it watches the others. */
export class OperationsStack extends Stack {
  readonly monitoring: PlatformMonitoring;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);

    // CloudWatch can publish to an encrypted topic only with a customer key that lets it.
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms publish with it',
      enableKeyRotation: true,
    });
    // Only this account's alarms may use it (no confused deputy through another account's alarm).
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: {
        'aws:SourceArn': this.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsEncrypt',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      environmentName: props.config.envName,
      flows: props.flows,
      alarmEmail: props.config.alarms.email,
      topicKey,
      publisherConditions: fromOwnAlarms,
    });
  }
}
