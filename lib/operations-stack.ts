import { Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      environmentName: props.config.envName,
      flows: props.flows,
      alarmEmail: props.config.alarms.email,
      topicKey,
    });
  }
}
