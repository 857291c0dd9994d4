import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config';
import { AppFunction } from './constructs/app-function';
import { IMPORTS_READ, RESOURCE_SERVER_IDENTIFIER } from './constructs/identity';
import type { MonitoredFlow } from './constructs/platform-monitoring';
import { PublicApi } from './constructs/public-api';
import { UsersApi } from './constructs/users-api';

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly usersTable: ITable;
  readonly activityTable: ITable;
  /** Import statuses, read by GET /imports/{id}. */
  readonly importsTable: ITable;
  /** The user pool whose access tokens the API accepts (the stateful stack's Identity). */
  readonly userPool: IUserPool;
}

/** The REST API: the users routes and import status behind Cognito scopes, and the public hello-world example. */
export class ApiStack extends Stack {
  readonly publicApi: PublicApi;
  readonly usersApi: UsersApi;
  readonly hello: AppFunction;
  readonly getImport: AppFunction;
  /** Every function behind the API, by construct ID, including users routes added later. */
  get functions(): Readonly<Record<string, AppFunction>> {
    return { ...this.usersApi.functions, GetImport: this.getImport, Hello: this.hello };
  }

  /** What the Operations stack watches of the API: its 5xx and latency, and every function behind it. */
  get monitored(): MonitoredFlow {
    return {
      title: 'API',
      api: this.publicApi.api,
      functions: Object.fromEntries(Object.entries(this.functions).map(([name, appFunction]) => [name, appFunction.fn])),
    };
  }

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logs = { logRetention: config.logRetention, logRemovalPolicy: config.dataRemovalPolicy };

    this.publicApi = new PublicApi(this, 'PublicApi', {
      description: `User-data platform API (${config.envName})`,
      throttlingRateLimit: config.api.throttlingRateLimit,
      throttlingBurstLimit: config.api.throttlingBurstLimit,
      manageAccountLogsRole: config.api.manageAccountLogsRole,
      userPool: props.userPool,
      authRealm: RESOURCE_SERVER_IDENTIFIER,
      ...logs,
    });

    this.usersApi = new UsersApi(this, 'UsersApi', {
      api: this.publicApi,
      usersTable: props.usersTable,
      activityTable: props.activityTable,
      provisionedConcurrency: config.functions.provisionedConcurrency,
      ...logs,
    });

    this.hello = new AppFunction(this, 'Hello', {
      handlerFile: 'hello.ts',
      description: 'GET /hello: the smallest working example, Hello, {name}!',
      serviceName: 'hello',
      // Reachable through the API; a direct invocation is synchronous too (the essay's `aws lambda invoke`).
      invocation: { kind: 'api' },
      memorySize: 128,
      ...logs,
    });
    this.publicApi.addRoute('GET', '/hello', this.hello.fn, { access: 'public' });

    this.getImport = new AppFunction(this, 'GetImport', {
      handlerFile: 'get-import.ts',
      description: 'GET /imports/{id}: the status and outcome of a bulk import',
      serviceName: 'imports',
      invocation: { kind: 'api' },
      ...logs,
    }).useTable('IMPORTS_TABLE_NAME', props.importsTable, ['dynamodb:GetItem']);
    this.publicApi.addRoute('GET', '/imports/{id}', this.getImport.fn, { access: { scopes: [IMPORTS_READ] } });

    new CfnOutput(this, 'ApiUrl', { value: this.publicApi.api.url });
    new CfnOutput(this, 'HelloFunctionName', { value: this.hello.fn.functionName });
  }
}
