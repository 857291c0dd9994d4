import { RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { newUserSchema } from '../../lambda/domain/user';
import { AppFunction } from './app-function';
import type { PublicApi } from './public-api';
import { structuralModelOf } from './request-models';

export interface UsersApiProps {
  readonly api: PublicApi;
  readonly usersTable: ITable;
  /** Where user creations are counted for the daily report. */
  readonly activityTable: ITable;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Warm instances per users function. @default 0 */
  readonly provisionedConcurrency?: number;
}

/**
 * The users routes: one function per route, each granted only the table actions it uses.
 *
 *   GET /users          list, paginated      read
 *   POST /users         create               dynamodb:PutItem
 *   GET /users/{id}     fetch one            read
 *   DELETE /users/{id}  delete one           dynamodb:DeleteItem
 */
export class UsersApi extends Construct {
  readonly functions: Record<'listUsers' | 'createUser' | 'getUser' | 'deleteUser', AppFunction>;

  constructor(scope: Construct, id: string, props: UsersApiProps) {
    super(scope, id);

    const make = (fnId: string, handlerFile: string, description: string) =>
      new AppFunction(this, fnId, {
        handlerFile,
        description,
        serviceName: 'users-api',
        invocation: { kind: 'api' },
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
        provisionedConcurrency: props.provisionedConcurrency,
      });

    this.functions = {
      listUsers: make('ListUsers', 'list-users.ts', 'GET /users').useTable('USERS_TABLE_NAME', props.usersTable, 'read'),
      createUser: make('CreateUser', 'create-user.ts', 'POST /users')
        .useTable('USERS_TABLE_NAME', props.usersTable, ['dynamodb:PutItem'])
        .useTable('ACTIVITY_TABLE_NAME', props.activityTable, ['dynamodb:UpdateItem']),
      getUser: make('GetUser', 'get-user.ts', 'GET /users/{id}').useTable('USERS_TABLE_NAME', props.usersTable, 'read'),
      deleteUser: make('DeleteUser', 'delete-user.ts', 'DELETE /users/{id}').useTable('USERS_TABLE_NAME', props.usersTable, [
        'dynamodb:DeleteItem',
      ]),
    };

    props.api.addRoute('GET', '/users', this.functions.listUsers.invokeTarget);
    props.api.addRoute('POST', '/users', this.functions.createUser.invokeTarget, {
      bodyModel: { name: 'CreateUser', schema: structuralModelOf(newUserSchema) },
    });
    props.api.addRoute('GET', '/users/{id}', this.functions.getUser.invokeTarget);
    props.api.addRoute('DELETE', '/users/{id}', this.functions.deleteUser.invokeTarget);
  }
}
