import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AssemblyStack } from '../../tools/local-cloud/assembly';
import { startRestApi, type CognitoVerifier, type RestApiServer } from '../../tools/local-cloud/api-gateway';
import type { InvokeOutcome } from '../../tools/local-cloud/lambda';
import { CloudModel } from '../../tools/local-cloud/model';

/** A REST API template as the CDK writes one: a Cognito-authorized GET /items/{id}, a throttled stage. */
function apiStack(rate: number, burst: number): AssemblyStack {
  const fnArn = { 'Fn::GetAtt': ['Fn', 'Arn'] };
  return {
    artifactId: 'Api',
    stackName: 'dev-Api',
    account: '111111111111',
    region: 'eu-west-1',
    directory: '.',
    assets: undefined,
    template: {
      Resources: {
        Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
        Items: {
          Type: 'AWS::ApiGateway::Resource',
          Properties: { RestApiId: { Ref: 'Api' }, ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'items' },
        },
        Item: {
          Type: 'AWS::ApiGateway::Resource',
          Properties: { RestApiId: { Ref: 'Api' }, ParentId: { Ref: 'Items' }, PathPart: '{id}' },
        },
        Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
        Authorizer: {
          Type: 'AWS::ApiGateway::Authorizer',
          Properties: {
            RestApiId: { Ref: 'Api' },
            Type: 'COGNITO_USER_POOLS',
            IdentitySource: 'method.request.header.Authorization',
            ProviderARNs: [{ 'Fn::GetAtt': ['Pool', 'Arn'] }],
          },
        },
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        GetItem: {
          Type: 'AWS::ApiGateway::Method',
          Properties: {
            RestApiId: { Ref: 'Api' },
            ResourceId: { Ref: 'Item' },
            HttpMethod: 'GET',
            AuthorizationType: 'COGNITO_USER_POOLS',
            AuthorizerId: { Ref: 'Authorizer' },
            AuthorizationScopes: ['items/read'],
            Integration: {
              Type: 'AWS_PROXY',
              IntegrationHttpMethod: 'POST',
              Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/', fnArn, '/invocations']] },
            },
          },
        },
        Stage: {
          Type: 'AWS::ApiGateway::Stage',
          Properties: {
            RestApiId: { Ref: 'Api' },
            StageName: 'v1',
            MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst }],
          },
        },
        Throttled: {
          Type: 'AWS::ApiGateway::GatewayResponse',
          Properties: {
            RestApiId: { Ref: 'Api' },
            ResponseType: 'THROTTLED',
            StatusCode: '429',
            ResponseTemplates: { 'application/json': '{"error":"TooManyRequests","message":$context.error.messageString}' },
          },
        },
      },
    },
  };
}

const events: Array<Record<string, unknown>> = [];
const verify: CognitoVerifier = async (token, { issuer, scopes }) => {
  if (token === 'expired') return { ok: false, status: 401, message: 'Unauthorized' };
  const granted = token === 'reader' ? ['items/read'] : [];
  if (!scopes.every((scope) => granted.includes(scope))) return { ok: false, status: 403, message: 'Forbidden' };
  return { ok: true, claims: { iss: issuer, scope: granted.join(' '), client_id: 'client' } };
};

async function serve(rate: number, burst: number): Promise<RestApiServer> {
  const stack = apiStack(rate, burst);
  const model = new CloudModel([stack], { region: 'eu-west-1', sqsEndpoint: 'http://127.0.0.1:1' });
  return startRestApi({
    model,
    api: model.resource(stack, 'Api'),
    host: '127.0.0.1',
    port: 0,
    invokeFunction: async (_arn, event): Promise<InvokeOutcome> => {
      events.push(event as Record<string, unknown>);
      return { ok: true, result: { statusCode: 200, body: JSON.stringify({ ok: true }) }, durationMs: 1 };
    },
    issuerForUserPoolArn: (arn) => `http://127.0.0.1:9999/${arn.split('/').pop()}`,
    verifyCognito: verify,
    log: () => undefined,
  });
}

let api: RestApiServer;
let throttled: RestApiServer;
beforeAll(async () => {
  api = await serve(1000, 1000);
  throttled = await serve(1, 2);
});
afterAll(async () => {
  await api.close();
  await throttled.close();
});

const get = (server: RestApiServer, token?: string) =>
  fetch(`${server.url}/v1/items/42?q=1`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });

test('a Cognito-authorized method refuses a request without a token with 401', async () => {
  const response = await get(api);
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({ message: 'Unauthorized' });
});

test('a token without the method scope gets 403, an invalid one 401', async () => {
  expect((await get(api, 'writer')).status).toBe(403);
  expect((await get(api, 'expired')).status).toBe(401);
});

test('a token with the scope reaches the function with the proxy event AWS sends, claims included', async () => {
  events.length = 0;
  const response = await get(api, 'reader');
  expect(response.status).toBe(200);
  const event = events[0] as Record<string, unknown> & { requestContext: Record<string, unknown> };
  const fixture = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'aws-events', 'apiGatewayProxyEvent.json'), 'utf8'),
  ) as Record<string, unknown>;
  for (const key of Object.keys(fixture).filter((name) => name !== 'version')) expect(event).toHaveProperty(key);
  expect(event).toMatchObject({
    resource: '/items/{id}',
    path: '/items/42',
    httpMethod: 'GET',
    pathParameters: { id: '42' },
    queryStringParameters: { q: '1' },
  });
  expect(event.requestContext).toMatchObject({
    stage: 'v1',
    resourcePath: '/items/{id}',
    path: '/v1/items/42',
    authorizer: { claims: { scope: 'items/read' } },
  });
});

test("the stage's throttle answers 429 with the THROTTLED gateway response once the burst is spent", async () => {
  const statuses: number[] = [];
  for (let index = 0; index < 4; index += 1) statuses.push((await get(throttled, 'reader')).status);
  expect(statuses.slice(0, 2)).toEqual([200, 200]);
  expect(statuses.slice(2)).toContain(429);
  const refused = await get(throttled, 'reader');
  expect(refused.status).toBe(429);
  expect(await refused.json()).toEqual({ error: 'TooManyRequests', message: 'Too Many Requests' });
});
