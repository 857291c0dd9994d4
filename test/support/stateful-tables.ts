import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS } from '../../lib/config';
import { StatefulStack } from '../../lib/stateful-stack';
import { createTableFromTemplate, type LocalDynamo } from './local-dynamodb';
import { testApp } from './synth';

let statefulTemplate: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } | undefined;

/** The dev stateful stack's template, synthesized once per test file. */
export function statefulStackTemplate(): NonNullable<typeof statefulTemplate> {
  statefulTemplate ??= Template.fromStack(new StatefulStack(testApp(), 'Stateful', { config: ENVIRONMENTS.dev })).toJSON() as NonNullable<
    typeof statefulTemplate
  >;
  return statefulTemplate;
}

/** Creates the users table exactly as the stateful stack declares it, in the local engine. */
export function createUsersTable(dynamo: LocalDynamo): Promise<string> {
  return createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
}

/** Creates the activity table exactly as the stateful stack declares it, in the local engine. */
export function createActivityTable(dynamo: LocalDynamo): Promise<string> {
  return createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ActivityTable');
}
