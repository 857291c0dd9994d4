import { createTableFromTemplate, type LocalDynamo } from './local-dynamodb';
import { sharedStackTemplate } from './synthesis-cache';

/** The dev stateful stack's template, from the shared synthesis (the app as bin/app.ts builds it). */
export function statefulStackTemplate(): ReturnType<typeof sharedStackTemplate> {
  return sharedStackTemplate('dev', 'Stateful');
}

/** Creates the users table exactly as the stateful stack declares it, in the local engine. */
export function createUsersTable(dynamo: LocalDynamo): Promise<string> {
  return createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'UsersTable');
}

/** Creates the activity table exactly as the stateful stack declares it, in the local engine. */
export function createActivityTable(dynamo: LocalDynamo): Promise<string> {
  return createTableFromTemplate(dynamo.client, statefulStackTemplate(), 'ActivityTable');
}
