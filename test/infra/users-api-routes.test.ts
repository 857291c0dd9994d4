import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Function as LambdaFunction, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { USERS_WRITE } from '../../lib/constructs/identity';
import { PublicApi } from '../../lib/constructs/public-api';
import { UsersApi } from '../../lib/constructs/users-api';
import { testApp } from '../support/synth';

/** A users API in a stack of its own, as the Api stack builds it. */
function usersApiStack() {
  const stack = new Stack(testApp(), 'Routes', { env: { account: '111111111111', region: 'eu-west-1' } });
  const table = (id: string) => new Table(stack, id, { partitionKey: { name: 'id', type: AttributeType.STRING } });
  const api = new PublicApi(stack, 'PublicApi', {
    description: 'routes',
    throttlingRateLimit: 1,
    throttlingBurstLimit: 1,
    logRetention: RetentionDays.ONE_DAY,
    manageAccountLogsRole: false,
    userPool: new UserPool(stack, 'Pool'),
    authRealm: 'user-data-api',
  });
  const usersTable = table('Users');
  const usersApi = new UsersApi(stack, 'UsersApi', {
    api,
    usersTable,
    activityTable: table('Activity'),
    logRetention: RetentionDays.ONE_DAY,
  });
  return { stack, api, usersApi, usersTable };
}

describe('UsersApi.route', () => {
  it('adds a route with its function, its table grant and its authorized method in one call', () => {
    const { stack, usersApi, usersTable } = usersApiStack();
    const before = Object.keys(usersApi.functions);

    // An example route no real one uses; hello.ts stands in for its handler (the entry file must exist to synthesize).
    usersApi.route('PATCH', '/users/{id}/example', {
      handler: 'hello.ts',
      scopes: [USERS_WRITE],
      tables: [{ envVar: 'USERS_TABLE_NAME', table: usersTable, access: ['dynamodb:UpdateItem'] }],
    });

    const template = Template.fromStack(stack).toJSON();
    const resources = Object.entries(template.Resources as Record<string, { Type: string; Properties: Record<string, any> }>);
    const exampleResource = resources.find(([, r]) => r.Type === 'AWS::ApiGateway::Resource' && r.Properties.PathPart === 'example')?.[0];
    const patch = resources.find(
      ([, r]) =>
        r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod === 'PATCH' && r.Properties.ResourceId.Ref === exampleResource,
    )?.[1];
    expect(patch).toBeDefined();
    expect(patch?.Properties).toMatchObject({
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizationScopes: ['user-data-api/users.write'],
    });
    expect(patch?.Properties.AuthorizerId).toEqual({ Ref: expect.stringMatching(/^PublicApiAuthorizer/) });
    const [fnId, fn] =
      resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === 'PATCH /users/{id}/example') ?? [];
    expect(fnId).toMatch(/^UsersApiHelloFunction/);
    expect(fn?.Properties.Environment.Variables.USERS_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/^Users/) });
    const roleId = fn?.Properties.Role['Fn::GetAtt'][0];
    const actions = resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action));
    expect(actions).toContain('dynamodb:UpdateItem');
    expect(Object.keys(usersApi.functions)).toEqual([...before, 'Hello']);
  });

  it('names each function after its handler, so the logical IDs of the four routes stay as they were', () => {
    const { usersApi } = usersApiStack();
    const handlerFiles = Object.fromEntries(Object.entries(usersApi.functions).map(([id, appFunction]) => [id, appFunction.handlerFile]));

    expect(handlerFiles).toMatchObject({
      ListUsers: 'list-users.ts',
      CreateUser: 'create-user.ts',
      GetUser: 'get-user.ts',
      DeleteUser: 'delete-user.ts',
    });
    // A route added later follows the same rule: `update-user.ts` → `UpdateUser`.
    for (const [id, handlerFile] of Object.entries(handlerFiles)) {
      expect(id).toBe(
        handlerFile.replace(/\.ts$/, '').replace(/(^|-)([a-z])/g, (_: string, __: string, letter: string) => letter.toUpperCase()),
      );
    }
  });

  it('refuses a second route on the same handler rather than silently sharing a function', () => {
    const { usersApi } = usersApiStack();

    expect(() => usersApi.route('PUT', '/users/{id}', { handler: 'create-user.ts', scopes: [USERS_WRITE] })).toThrow(
      'create-user.ts already serves a route',
    );
  });
});

describe('PublicApi.addRoute', () => {
  const handler = (stack: Stack) =>
    new LambdaFunction(stack, 'Handler', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = 1'),
    });

  it('refuses to make a route public unless it is in PUBLIC_ROUTES', () => {
    const { stack, api } = usersApiStack();

    expect(() => api.addRoute('GET', '/users/export', handler(stack), { access: 'public' })).toThrow(
      'GET /users/export cannot be public: only GET /hello may answer without a token',
    );
  });

  it('refuses a protected route with no scope (the authorizer would accept any ID token of the pool)', () => {
    const { stack, api } = usersApiStack();

    expect(() => api.addRoute('GET', '/reports', handler(stack), { access: { scopes: [] } })).toThrow(
      'GET /reports needs at least one scope',
    );
  });
});
