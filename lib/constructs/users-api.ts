import type { RemovalPolicy } from 'aws-cdk-lib';
import type { JsonSchema } from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { newUserSchema, userChangesSchema } from '../../lambda/domain/user';
import { AppFunction, type TableAccess } from './app-function';
import { USERS_READ, USERS_WRITE, type Scope } from './identity';
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

/** A table a route's function uses: its name in `envVar`, and only the access it needs. */
export interface TableUse {
  readonly envVar: string;
  readonly table: ITable;
  readonly access: TableAccess;
}

/** One users route: its handler, who may call it, and what it may touch. */
export interface UsersRoute {
  /**
   * The handler file under lambda/handlers (for example `get-user.ts`). The function's construct
   * ID is its PascalCase name (`GetUser`), which keeps logical IDs stable across refactors.
   */
  readonly handler: string;
  /** A token needs at least one of these scopes. */
  readonly scopes: readonly Scope[];
  /** @default none */
  readonly tables?: readonly TableUse[];
  /** A JSON body model; requests that do not match are refused before Lambda runs. @default none */
  readonly bodyModel?: { readonly name: string; readonly schema: JsonSchema };
}

/** `get-user.ts` → `GetUser`. */
function constructIdOf(handlerFile: string): string {
  return handlerFile
    .replace(/\.ts$/, '')
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * The users routes: one function per route, each granted only the table actions it uses, behind
 * the authorizer with the scope it needs.
 *
 *   GET /users          list, paginated      read        users.read
 *   POST /users         create               PutItem     users.write
 *   GET /users/{id}     fetch one            read        users.read
 *   PATCH /users/{id}   change name, phone   UpdateItem  users.write
 *   DELETE /users/{id}  delete one           DeleteItem  users.write
 *
 * A new route is one `route(...)` call: it makes the function, its grants and the method together.
 */
export class UsersApi extends Construct {
  /** Every route's function, by construct ID (`ListUsers`, `GetUser`, ...). */
  readonly functions: Record<string, AppFunction> = {};

  constructor(
    scope: Construct,
    id: string,
    private readonly props: UsersApiProps,
  ) {
    super(scope, id);
    const users = (access: TableAccess): TableUse => ({ envVar: 'USERS_TABLE_NAME', table: props.usersTable, access });

    this.route('GET', '/users', { handler: 'list-users.ts', scopes: [USERS_READ], tables: [users('read')] });
    this.route('POST', '/users', {
      handler: 'create-user.ts',
      scopes: [USERS_WRITE],
      tables: [users(['dynamodb:PutItem']), { envVar: 'ACTIVITY_TABLE_NAME', table: props.activityTable, access: ['dynamodb:UpdateItem'] }],
      bodyModel: { name: 'CreateUser', schema: structuralModelOf(newUserSchema) },
    });
    this.route('GET', '/users/{id}', { handler: 'get-user.ts', scopes: [USERS_READ], tables: [users('read')] });
    this.route('PATCH', '/users/{id}', {
      handler: 'update-user.ts',
      scopes: [USERS_WRITE],
      tables: [users(['dynamodb:UpdateItem'])],
      bodyModel: { name: 'UpdateUser', schema: structuralModelOf(userChangesSchema) },
    });
    this.route('DELETE', '/users/{id}', { handler: 'delete-user.ts', scopes: [USERS_WRITE], tables: [users(['dynamodb:DeleteItem'])] });
  }

  /** Adds `method path`: its function (described by the route), its table grants and its authorized method. */
  route(method: string, path: string, spec: UsersRoute): AppFunction {
    const id = constructIdOf(spec.handler);
    if (this.functions[id] !== undefined) throw new Error(`${spec.handler} already serves a route`);
    const fn = new AppFunction(this, id, {
      handlerFile: spec.handler,
      description: `${method} ${path}`,
      serviceName: 'users-api',
      invocation: { kind: 'api' },
      logRetention: this.props.logRetention,
      logRemovalPolicy: this.props.logRemovalPolicy,
      provisionedConcurrency: this.props.provisionedConcurrency,
    });
    for (const use of spec.tables ?? []) fn.useTable(use.envVar, use.table, use.access);
    this.props.api.addRoute(method, path, fn.invokeTarget, { access: { scopes: spec.scopes }, bodyModel: spec.bodyModel });
    this.functions[id] = fn;
    return fn;
  }
}
