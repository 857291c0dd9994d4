import { Aspects, CfnResource, RemovalPolicy, Stack, type IAspect } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Gives every function that names no log group (the CDK's own custom-resource handlers: bucket
 * notifications, auto-delete objects, the default security group restriction...) a log group of
 * the stack with the environment's retention. Left alone, they log to an implicit
 * `/aws/lambda/...` group that keeps, and bills, its events forever. Project functions
 * (AppFunction) already name theirs and are left as they are.
 *
 * An aspect, because some of these handlers are created by the CDK as late as synthesis.
 */
export function keepFrameworkLogsFor(scope: IConstruct, retention: RetentionDays): void {
  Aspects.of(scope).add(new FrameworkLogGroups(retention));
}

class FrameworkLogGroups implements IAspect {
  constructor(private readonly retention: RetentionDays) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    if (node instanceof CfnFunction && node.loggingConfig !== undefined) return;
    const scope = node.node.scope;
    if (scope === undefined || scope.node.tryFindChild('HandlerLogs') !== undefined) return;
    const logs = new LogGroup(scope, 'HandlerLogs', { retention: this.retention, removalPolicy: RemovalPolicy.DESTROY });
    // The handlers' roles carry AWSLambdaBasicExecutionRole, which may write to any log group.
    const logGroupName = Stack.of(node).resolve(logs.logGroupName) as unknown;
    if (node instanceof CfnFunction) node.loggingConfig = { logGroup: logs.logGroupName };
    else node.addPropertyOverride('LoggingConfig.LogGroup', logGroupName);
  }
}
