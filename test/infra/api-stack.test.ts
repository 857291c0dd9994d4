import Ajv from 'ajv-draft-04';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES } from '../../lib/config';
import { synthesizedApp, type SynthesizedStack } from '../support/shared-synthesis';
import { templateOf } from '../support/synth';

const stages = synthesizedApp();
const api = (env: (typeof ENVIRONMENT_NAMES)[number]): Template => templateOf(stages[env].api);

/** Every method the API answers (`GET /users`, ...): each is one route, served by one function. */
function routeCount(template: Template): number {
  return Object.keys(template.findResources('AWS::ApiGateway::Method')).length;
}

/** The project's functions (AppFunctions, each `<name>/Function`) under a construct path of a stack ('' for all). */
function appFunctions(stack: SynthesizedStack, constructPath: string): string[] {
  return stack
    .elementsUnder(constructPath)
    .filter((element) => element.path.endsWith('/Function/Resource'))
    .map((element) => element.logicalId);
}

/** The logical ID of the function whose description is `description` (each route's function describes its route). */
function functionWithDescription(template: Template, description: string): string {
  const matches = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }));
  expect(matches).toHaveLength(1);
  return matches[0];
}

/** The actions of every policy statement attached to a function's role. */
function actionsOf(template: Template, functionLogicalId: string): string[] {
  const fn = template.toJSON().Resources[functionLogicalId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
  );
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .sort();
}

describe('users API', () => {
  const template = api('dev');

  it('routes every method to the function made for it, and keeps the routes clients use', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const functions = template.findResources('AWS::Lambda::Function');
    const pathPartOf = (id: string) => resources[id].Properties.PathPart as string;
    const parentOf = (id: string): string | undefined => resources[id].Properties.ParentId.Ref as string | undefined;
    const pathOf = (id: string): string => {
      const parent = parentOf(id);
      return `${parent && resources[parent] ? pathOf(parent) : ''}/${pathPartOf(id)}`;
    };
    // The function an integration invokes: its URI joins the function's (or its alias's) ARN in.
    const invokedFunction = (method: Record<string, any>): string | undefined =>
      JSON.stringify(method.Properties.Integration.Uri).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/)?.[1] ??
      JSON.stringify(method.Properties.Integration.Uri).match(/"Ref":"([A-Za-z0-9]+)"/)?.[1];
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const routes = methods.map((method) => `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId.Ref)}`);

    // Each route's function says which route it serves (its description starts with the route): a
    // route wired to another route's function (a PATCH calling the GET handler) fails here.
    for (const [index, method] of methods.entries()) {
      const description = functions[invokedFunction(method) ?? '']?.Properties.Description as string | undefined;
      expect({ route: routes[index], serves: description?.split(':')[0] }).toEqual({ route: routes[index], serves: routes[index] });
    }
    expect(new Set(routes).size).toBe(routes.length);
    // A route clients use never disappears unnoticed; a new one needs no edit here.
    expect(routes).toEqual(
      expect.arrayContaining(['DELETE /users/{id}', 'GET /hello', 'GET /imports/{id}', 'GET /users', 'GET /users/{id}', 'POST /users']),
    );
  });

  it('runs one function per handler on ARM64 and Node.js 24, traced, with JSON logs in its own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function');

    expect(appFunctions(stages.dev.api, '')).toHaveLength(routeCount(template));
    expect(Object.keys(functions)).toHaveLength(routeCount(template));
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Handler: 'index.handler',
      });
    }
  });

  it('gives functions their own roles, with no AWS managed policies, writing only to their own log group', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([, role]) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    );

    expect(roles).toHaveLength(routeCount(template));
    for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const logStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[])
      .filter((statement) => JSON.stringify(statement.Action).includes('logs:'));
    expect(logStatements).toHaveLength(routeCount(template));
    for (const statement of logStatements) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Logs[0-9A-F]{8}$/), 'Arn'] });
    }
  });

  it('passes the users table to each users function by name, never hard-coded', () => {
    for (const description of ['GET /users', 'POST /users', 'GET /users/{id}', 'DELETE /users/{id}']) {
      const fn = template.toJSON().Resources[functionWithDescription(template, description)];
      expect(fn.Properties.Environment.Variables.USERS_TABLE_NAME).toEqual({
        'Fn::GetStackOutput': { StackName: 'dev-Stateful', Region: 'eu-west-1', OutputName: expect.stringContaining('RefUsersTable') },
      });
    }
  });

  it('grants each function only the table actions its route uses', () => {
    expect(actionsOf(template, functionWithDescription(template, 'POST /users'))).toEqual([
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(actionsOf(template, functionWithDescription(template, 'DELETE /users/{id}'))).toEqual([
      'dynamodb:DeleteItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const readActions = actionsOf(template, functionWithDescription(template, 'GET /users'));
    expect(readActions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query']));
    expect(readActions.filter((action) => action.startsWith('dynamodb:') && /Put|Delete|Update|Write/.test(action))).toEqual([]);
  });

  it('validates POST /users bodies at the gateway with a model built from the handler schema', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['name', 'email'],
        properties: { name: { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' } },
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: Match.anyValue() },
      RequestModels: { 'application/json': { Ref: Match.anyValue() } },
    });
  });

  it.each(ENVIRONMENT_NAMES)(
    'gives API Gateway request models that are valid JSON Schema draft 4 in %s (invalid ones fail the deploy)',
    (env) => {
      // API Gateway refuses a model that is not valid draft 4 (for example `required: []`, which
      // draft 4 forbids); ajv checks each against the draft-4 meta-schema here, before a deploy does.
      const ajv = new Ajv({ strict: false });
      const models = Object.entries(api(env).findResources('AWS::ApiGateway::Model'));

      expect(models.length).toBeGreaterThan(0);
      for (const [model, { Properties }] of models) {
        const valid = ajv.validateSchema(Properties.Schema as object);
        expect({ model, errors: valid ? [] : ajv.errors }).toEqual({ model, errors: [] });
      }
    },
  );

  it('answers unknown routes with a JSON 404, and gateway errors in the handlers’ error shape', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': '{"error":"NotFound","message":"No route matches this method and path"}' },
    });
    for (const type of ['BAD_REQUEST_BODY', 'THROTTLED', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      const responses = template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } });
      const body = Object.values(responses)[0].Properties.ResponseTemplates['application/json'] as string;
      expect(body).toMatch(/^\{"error":"[A-Za-z]+","message":/);
    }
  });

  it('writes JSON access logs, traces requests, and keeps logs as long as the environment says', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('^\\{.*"requestId":"\\$context.requestId"') },
    });
    // One log group per route's function, and the access log.
    expect(Object.values(template.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.RetentionInDays)).toEqual(
      Array(routeCount(template) + 1).fill(7),
    );
    expect(Object.values(api('prod').findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.RetentionInDays)).toEqual(
      Array(routeCount(api('prod')) + 1).fill(365),
    );
  });

  it.each([
    ['dev', 20, 40],
    ['staging', 50, 100],
    ['prod', 500, 1000],
  ] as const)('throttles the %s stage at %i requests per second, bursts of %i', (env, rate, burst) => {
    api(env).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst }),
      ]),
    });
  });
});

describe('environments', () => {
  it('retains API logs outside dev and deletes them with a dev stack', () => {
    const policies = (env: (typeof ENVIRONMENT_NAMES)[number]) =>
      new Set(Object.values(api(env).findResources('AWS::Logs::LogGroup')).map((group) => group.DeletionPolicy));

    expect(policies('dev')).toEqual(new Set(['Delete']));
    expect(policies('staging')).toEqual(new Set(['Retain']));
    expect(policies('prod')).toEqual(new Set(['Retain']));
  });

  // Issue 9: staging retains its data too, so its stacks are protected like prod's.
  it('protects the stacks of staging and prod from termination (they retain data), not dev', () => {
    for (const env of ENVIRONMENT_NAMES) {
      expect(stages[env].api.terminationProtection).toBe(env !== 'dev');
      expect(stages[env].stateful.terminationProtection).toBe(env !== 'dev');
    }
  });

  it('deploys each environment to its own account and region, with no lookups', () => {
    expect(ENVIRONMENT_NAMES.map((env) => stages[env].account)).toEqual(['111111111111', '222222222222', '333333333333']);
    for (const env of ENVIRONMENT_NAMES) expect(stages[env].region).toBe('eu-west-1');
  });
});

describe('provisioned concurrency', () => {
  it('keeps one warm instance per users function in prod, behind a live alias scaled on utilisation', () => {
    const prod = api('prod');
    const aliases = prod.findResources('AWS::Lambda::Alias');
    const usersRoutes = appFunctions(stages.prod.api, 'UsersApi').length;

    expect(usersRoutes).toBeGreaterThan(0);
    expect(Object.values(aliases).map((alias) => alias.Properties.ProvisionedConcurrencyConfig)).toEqual(
      Array(usersRoutes).fill({ ProvisionedConcurrentExecutions: 1 }),
    );
    prod.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', usersRoutes);
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 5,
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
    });
    prod.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 0.7,
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
      },
    });
  });

  it('sends prod API requests to the aliases, so the warm instances serve them', () => {
    const prod = api('prod');
    const aliasIds = Object.keys(prod.findResources('AWS::Lambda::Alias'));
    const integrationTargets = Object.values(prod.findResources('AWS::ApiGateway::Method')).map((method) =>
      JSON.stringify(method.Properties.Integration.Uri),
    );
    const targetsAnAlias = integrationTargets.filter((uri) => aliasIds.some((aliasId) => uri.includes(`"Ref":"${aliasId}"`)));

    const usersRoutes = appFunctions(stages.prod.api, 'UsersApi').length;
    expect(aliasIds).toHaveLength(usersRoutes);
    expect(targetsAnAlias).toHaveLength(usersRoutes);
  });

  it('keeps dev free of provisioned concurrency and its cost', () => {
    api('dev').resourceCountIs('AWS::Lambda::Alias', 0);
    api('dev').resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });
});
