import { createTableFromTemplate, type LocalDynamo } from './local-dynamodb';
import { sharedStackTemplate } from './synthesis-cache';

let statefulTemplate: ReturnType<typeof sharedStackTemplate> | undefined;

/** The dev stateful stack's template, from the shared synthesis (the app as bin/app.ts builds it), read once per file. */
export function statefulStackTemplate(): ReturnType<typeof sharedStackTemplate> {
  statefulTemplate ??= sharedStackTemplate('dev', 'Stateful');
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
