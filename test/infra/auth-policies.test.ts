import { ENVIRONMENT_NAMES, ENVIRONMENTS, retainsData } from '../../lib/config';
import { PUBLIC_ROUTES } from '../../lib/constructs/public-api';
import { listenersReachingUncheckedServices, methodsWithoutAuthorization, routeOf } from '../support/auth-policies';
import { appTemplatesByEnvironment } from '../support/shared-synthesis';
import { resourcesOfType, type AppTemplates } from '../support/template-graph';

// Every stack of every environment: a method or listener added later is checked too.
const apps = appTemplatesByEnvironment();

const props = (entry: { resource: { Properties?: Record<string, unknown> } }) => entry.resource.Properties ?? {};

describe.each(ENVIRONMENT_NAMES)('authentication in %s', (env) => {
  const app = apps[env];

  it('puts every API method but GET /hello behind the Cognito authorizer with at least one scope', () => {
    expect(methodsWithoutAuthorization(app, PUBLIC_ROUTES)).toEqual([]);
  });

  it('requires the scope each route needs: a GET reads, any other method writes, on the resource its path names', () => {
    // The rule, not a list: a new route is checked without editing this test, and one given the
    // wrong scope (a PATCH with users.read, a route on /imports with users.write) fails here.
    const routes = resourcesOfType(app, 'AWS::ApiGateway::Method').map((method) => ({
      route: routeOf(app, method),
      scopes: props(method).AuthorizationScopes ?? 'public',
    }));
    const expectedScopes = (route: string): string[] | 'public' => {
      if (PUBLIC_ROUTES.includes(route)) return 'public';
      const [method, path] = route.split(' ');
      const resource = path.split('/')[1];
      return [`user-data-api/${resource}.${method === 'GET' ? 'read' : 'write'}`];
    };

    expect(routes.length).toBeGreaterThan(PUBLIC_ROUTES.length);
    for (const { route, scopes } of routes) expect({ route, scopes }).toEqual({ route, scopes: expectedScopes(route) });
  });

  it('answers 401 with a Bearer challenge without a valid token, 403 insufficient_scope without the scope, 404 for unknown routes, all as JSON errors', () => {
    const responses = Object.fromEntries(
      resourcesOfType(app, 'AWS::ApiGateway::GatewayResponse').map((response) => [props(response).ResponseType, props(response)]),
    );

    expect(responses.UNAUTHORIZED).toMatchObject({
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="user-data-api"'` },
    });
    expect(responses.ACCESS_DENIED).toMatchObject({
      StatusCode: '403',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer realm="user-data-api", error="insufficient_scope"'` },
    });
    expect(responses.MISSING_AUTHENTICATION_TOKEN).toMatchObject({ StatusCode: '404' });
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'MISSING_AUTHENTICATION_TOKEN']) {
      const body = JSON.parse((responses[type].ResponseTemplates as Record<string, string>)['application/json']) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['error', 'message']);
    }
  });

  it('lets every load balancer listener reach only a service that verifies the export token itself', () => {
    expect(listenersReachingUncheckedServices(app)).toEqual([]);
    const environment = Object.fromEntries(
      resourcesOfType(app, 'AWS::ECS::TaskDefinition')
        .flatMap((task) => props(task).ContainerDefinitions as { Command?: string[]; Environment: { Name: string; Value: unknown }[] }[])
        .filter((container) => container.Command?.[0] === 'serve')
        .flatMap((container) => container.Environment.map((variable) => [variable.Name, variable.Value])),
    );
    expect(environment.AUTH_REQUIRED_SCOPE).toBe('user-data-api/exports.read');
    expect(JSON.stringify(environment.AUTH_JWKS_URL)).toContain('/.well-known/jwks.json');
    expect(JSON.stringify(environment.AUTH_ISSUER)).toContain(`https://cognito-idp.${ENVIRONMENTS[env].region}.amazonaws.com/`);
    // Only the client that may read exports is accepted.
    expect(JSON.stringify(environment.AUTH_CLIENT_IDS)).toContain('ExportReaderClient');
    expect(JSON.stringify(environment.AUTH_CLIENT_IDS)).not.toContain('UsersAdminClient');
  });

  it('keeps the user pool with the data stores: retained and deletion-protected outside dev', () => {
    const [pool] = resourcesOfType(app, 'AWS::Cognito::UserPool');

    expect(pool.stack).toBe(`${env}-Stateful`);
    expect(props(pool).DeletionProtection).toBe(retainsData(ENVIRONMENTS[env]) ? 'ACTIVE' : 'INACTIVE');
    expect(pool.resource.DeletionPolicy).toBe(retainsData(ENVIRONMENTS[env]) ? 'Retain' : 'Delete');
    expect(props(pool).AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
  });

  it('declares the four scopes and gives machine clients a secret and the client-credentials flow only', () => {
    const [server] = resourcesOfType(app, 'AWS::Cognito::UserPoolResourceServer');
    expect(props(server).Identifier).toBe('user-data-api');
    expect((props(server).Scopes as { ScopeName: string }[]).map((scope) => scope.ScopeName).sort()).toEqual([
      'exports.read',
      'imports.read',
      'users.read',
      'users.write',
    ]);

    const clients = resourcesOfType(app, 'AWS::Cognito::UserPoolClient');
    expect(clients.length).toBeGreaterThan(0);
    for (const client of clients) {
      expect(props(client)).toMatchObject({
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      });
    }
    // Scopes name the resource server by reference, so clients are created after it.
    const scopesOf = (clientId: string) =>
      (clients.find((client) => client.logicalId.startsWith(clientId))?.resource.Properties?.AllowedOAuthScopes as unknown[]).map(
        (scope) => {
          expect(scope).toEqual({
            'Fn::Join': ['', [{ Ref: expect.stringMatching(/^IdentityUserPoolResourceServer/) }, expect.any(String)]],
          });
          return (scope as { 'Fn::Join': [string, [unknown, string]] })['Fn::Join'][1][1];
        },
      );
    expect(scopesOf('IdentityUserPoolUsersAdminClient')).toEqual(['/users.read', '/users.write', '/imports.read']);
    expect(scopesOf('IdentityUserPoolExportReaderClient')).toEqual(['/exports.read']);
  });

  it('gives the environment its own token domain, named after the environment and account', () => {
    const [domain] = resourcesOfType(app, 'AWS::Cognito::UserPoolDomain');
    expect(props(domain).Domain).toBe(`user-data-${env}-${ENVIRONMENTS[env].account}`);
  });

  it('outputs what a caller needs to ask for a token: the token endpoint and each client ID, never a secret', () => {
    const outputs = Object.entries(app[`${env}-Stateful`].Outputs ?? {}).filter(([name]) => name.startsWith('Identity'));

    expect(JSON.stringify(outputs.find(([name]) => name.startsWith('IdentityTokenEndpoint'))?.[1].Value)).toContain(
      `.auth.${ENVIRONMENTS[env].region}.amazoncognito.com/oauth2/token`,
    );
    expect(outputs.filter(([name]) => /^Identity\w+ClientId/.test(name))).toHaveLength(2);
    expect(JSON.stringify(outputs)).not.toMatch(/ClientSecret/);
  });
});

describe('the authorization policy catches', () => {
  /** A REST API with `GET /users` configured by `method`, and a Cognito authorizer. */
  function apiWith(method: Record<string, unknown>): AppTemplates {
    return {
      'x-Stateful': { Resources: { Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} } } },
      'x-Api': {
        Resources: {
          Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
          Users: {
            Type: 'AWS::ApiGateway::Resource',
            Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'users' },
          },
          Authorizer: {
            Type: 'AWS::ApiGateway::Authorizer',
            Properties: {
              Type: 'COGNITO_USER_POOLS',
              ProviderARNs: [{ 'Fn::GetStackOutput': { StackName: 'x-Stateful', OutputName: 'PoolArn' } }],
            },
          },
          Method: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'GET', ResourceId: { Ref: 'Users' }, ...method } },
        },
      },
    };
  }
  const withPoolOutput = (app: AppTemplates): AppTemplates => ({
    ...app,
    'x-Stateful': { ...app['x-Stateful'], Outputs: { PoolArn: { Value: { 'Fn::GetAtt': ['Pool', 'Arn'] } } } },
  });

  it('accepts a method with the Cognito authorizer and a scope', () => {
    const app = withPoolOutput(
      apiWith({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: 'Authorizer' },
        AuthorizationScopes: ['user-data-api/users.read'],
      }),
    );
    expect(methodsWithoutAuthorization(app, ['GET /hello'])).toEqual([]);
  });

  it('a method without an authorizer', () => {
    const app = withPoolOutput(apiWith({ AuthorizationType: 'NONE' }));
    expect(methodsWithoutAuthorization(app, ['GET /hello'])).toEqual([
      'x-Api/Method (GET /users): authorization NONE, not COGNITO_USER_POOLS',
    ]);
  });

  it('a method with the authorizer but no scope (API Gateway would accept any ID token of the pool)', () => {
    const app = withPoolOutput(apiWith({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: 'Authorizer' } }));
    expect(methodsWithoutAuthorization(app, ['GET /hello'])).toEqual(['x-Api/Method (GET /users): no resource-server scope']);
  });

  it('a method whose authorizer is not backed by a user pool', () => {
    const app = apiWith({
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizerId: { Ref: 'Authorizer' },
      AuthorizationScopes: ['user-data-api/users.read'],
    });
    expect(methodsWithoutAuthorization(app, ['GET /hello'])).toEqual(['x-Api/Method (GET /users): no Cognito user pool authorizer']);
  });

  it('a listener that forwards to a service whose container is not told how to check tokens', () => {
    const app: AppTemplates = {
      'x-Containers': {
        Resources: {
          Listener: {
            Type: 'AWS::ElasticLoadBalancingV2::Listener',
            Properties: { DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Targets' } }] },
          },
          Targets: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: {} },
          Task: {
            Type: 'AWS::ECS::TaskDefinition',
            Properties: { ContainerDefinitions: [{ Name: 'Worker', Environment: [{ Name: 'PORT', Value: '8080' }] }] },
          },
          Service: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: { Ref: 'Task' },
              LoadBalancers: [{ TargetGroupArn: { Ref: 'Targets' }, ContainerName: 'Worker' }],
            },
          },
        },
      },
    };
    expect(listenersReachingUncheckedServices(app)).toEqual([
      'x-Containers/Listener → x-Containers/Service: no AUTH_ISSUER, AUTH_JWKS_URL, AUTH_CLIENT_IDS, AUTH_REQUIRED_SCOPE',
    ]);
  });
});
