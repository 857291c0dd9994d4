import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import Ajv from 'ajv-draft-04';
import type { CloudModel, LocalResource } from './model';
import { closeServer, listen } from './runtime';
import type { InvokeOutcome } from './lambda';

/** Verifies a Cognito user pool token for a method (the local identity provider's verifier). */
export type CognitoVerifier = (
  token: string,
  options: { issuer: string; scopes: string[] },
) => Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; status: 401 | 403; message: string }>;

export interface RestApiOptions {
  readonly model: CloudModel;
  readonly api: LocalResource;
  readonly host: string;
  readonly port: number;
  readonly invokeFunction: (functionIdentity: string, event: unknown, flow: string) => Promise<InvokeOutcome>;
  /** Maps a user pool ARN to the issuer of the local identity provider. */
  readonly issuerForUserPoolArn: (arn: string) => string | undefined;
  readonly verifyCognito: CognitoVerifier | undefined;
  readonly log: (line: string) => void;
}

interface Method {
  readonly httpMethod: string;
  readonly resourceId: string;
  readonly resourcePath: string;
  readonly authorizationType: string;
  readonly authorizer: Record<string, unknown> | undefined;
  readonly scopes: string[];
  readonly integration: Record<string, unknown>;
  readonly validator: { body: boolean; parameters: boolean } | undefined;
  readonly requestModels: Record<string, string>;
  readonly requestParameters: Record<string, boolean>;
}

interface GatewayResponse {
  readonly statusCode?: string;
  readonly templates: Record<string, string>;
  readonly headers: Record<string, string>;
}

const DEFAULT_STATUS: Record<string, number> = {
  MISSING_AUTHENTICATION_TOKEN: 403,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  REQUEST_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RESOURCE_NOT_FOUND: 404,
  EXPIRED_TOKEN: 403,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  API_CONFIGURATION_ERROR: 500,
};

export interface RestApiServer {
  readonly url: string;
  readonly stages: string[];
  close(): Promise<void>;
}

/**
 * One REST API (AWS::ApiGateway::RestApi) served on a local port as `http://host:port/<stage>/...`,
 * built only from the template: resources and methods, request validators and models (JSON
 * Schema draft 4), gateway responses, stage throttling (token bucket), Cognito authorizers and
 * Lambda proxy integrations.
 */
export async function startRestApi(options: RestApiOptions): Promise<RestApiServer> {
  const { model, api } = options;
  const belongs = (resource: LocalResource) =>
    resource.stack === api.stack && model.resolve(resource.definition.Properties?.RestApiId, resource.stack) === api.ref;

  // Resource paths from the parent chain.
  const resources = model.ofType('AWS::ApiGateway::Resource').filter(belongs);
  const pathOf = new Map<string, string>([[api.attributes.RootResourceId, '/']]);
  let progress = true;
  while (progress) {
    progress = false;
    for (const resource of resources) {
      if (pathOf.has(resource.ref)) continue;
      const props = model.properties(resource);
      const parent = pathOf.get(String(props.ParentId));
      if (parent === undefined) continue;
      pathOf.set(resource.ref, `${parent === '/' ? '' : parent}/${String(props.PathPart)}`);
      progress = true;
    }
  }

  const validators = new Map<string, { body: boolean; parameters: boolean }>();
  for (const validator of model.ofType('AWS::ApiGateway::RequestValidator').filter(belongs)) {
    const props = model.properties(validator);
    validators.set(validator.ref, {
      body: props.ValidateRequestBody === true || props.ValidateRequestBody === 'true',
      parameters: props.ValidateRequestParameters === true || props.ValidateRequestParameters === 'true',
    });
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schemas = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const modelResource of model.ofType('AWS::ApiGateway::Model').filter(belongs)) {
    const props = model.properties(modelResource);
    const schema = typeof props.Schema === 'string' ? JSON.parse(props.Schema) : props.Schema;
    schemas.set(modelResource.ref, ajv.compile(schema as object));
    if (typeof props.Name === 'string') schemas.set(props.Name, ajv.compile(schema as object));
  }
  const authorizers = new Map<string, Record<string, unknown>>();
  for (const authorizer of model.ofType('AWS::ApiGateway::Authorizer').filter(belongs))
    authorizers.set(authorizer.ref, model.properties(authorizer));

  const methods: Method[] = [];
  for (const resource of model.ofType('AWS::ApiGateway::Method').filter(belongs)) {
    const props = model.properties(resource);
    const resourcePath = pathOf.get(String(props.ResourceId));
    if (resourcePath === undefined) throw new Error(`${resource.logicalId}: its resource is not part of the API`);
    methods.push({
      httpMethod: String(props.HttpMethod).toUpperCase(),
      resourceId: String(props.ResourceId),
      resourcePath,
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      authorizer: props.AuthorizerId === undefined ? undefined : authorizers.get(String(props.AuthorizerId)),
      scopes: (props.AuthorizationScopes as string[] | undefined) ?? [],
      integration: (props.Integration as Record<string, unknown>) ?? {},
      validator: props.RequestValidatorId === undefined ? undefined : validators.get(String(props.RequestValidatorId)),
      requestModels: (props.RequestModels as Record<string, string>) ?? {},
      requestParameters: (props.RequestParameters as Record<string, boolean>) ?? {},
    });
  }

  const gatewayResponses = new Map<string, GatewayResponse>();
  for (const resource of model.ofType('AWS::ApiGateway::GatewayResponse').filter(belongs)) {
    const props = model.properties(resource);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((props.ResponseParameters as Record<string, string>) ?? {})) {
      const header = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      if (header !== undefined) headers[header] = String(value).replace(/^'(.*)'$/s, '$1');
    }
    gatewayResponses.set(String(props.ResponseType), {
      statusCode: props.StatusCode === undefined ? undefined : String(props.StatusCode),
      templates: (props.ResponseTemplates as Record<string, string>) ?? {},
      headers,
    });
  }

  // Stages and their throttling (the `/*` `*` method setting, the account default otherwise).
  const stages = new Map<string, { rate: number; burst: number; tokens: number; last: number }>();
  for (const stage of model.ofType('AWS::ApiGateway::Stage').filter(belongs)) {
    const props = model.properties(stage);
    const settings = ((props.MethodSettings as Array<Record<string, unknown>>) ?? []).find(
      (setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*',
    );
    const rate = Number(settings?.ThrottlingRateLimit ?? 10000);
    const burst = Number(settings?.ThrottlingBurstLimit ?? 5000);
    stages.set(String(props.StageName), { rate, burst, tokens: burst, last: Date.now() });
  }
  for (const deployment of model.ofType('AWS::ApiGateway::Deployment').filter(belongs)) {
    const name = model.properties(deployment).StageName;
    if (typeof name === 'string' && !stages.has(name)) stages.set(name, { rate: 10000, burst: 5000, tokens: 5000, last: Date.now() });
  }

  const apiName = api.name;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, Buffer.concat(chunks), response).catch((error: Error) => {
        options.log(`api      ${apiName} ${request.method} ${request.url} → runner error: ${error.stack ?? error.message}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal server error' }));
      });
    });
  });

  function sendGatewayResponse(
    response: http.ServerResponse,
    type: string,
    message: string,
    requestId: string,
    extraHeaders: Record<string, string> = {},
    validationErrors = '',
  ): number {
    const fallback = type.startsWith('DEFAULT') ? undefined : (DEFAULT_STATUS[type] ?? 500) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const own = gatewayResponses.get(type);
    const inherited = fallback === undefined ? undefined : gatewayResponses.get(fallback);
    const status = Number(own?.statusCode ?? DEFAULT_STATUS[type] ?? (type === 'DEFAULT_5XX' ? 500 : 400));
    const template =
      own?.templates['application/json'] ?? inherited?.templates['application/json'] ?? '{"message":$context.error.messageString}';
    const body = template
      .replace(/\$context\.error\.messageString/g, JSON.stringify(message))
      .replace(/\$context\.error\.validationErrorString/g, validationErrors)
      .replace(/\$context\.error\.message/g, message)
      .replace(/\$context\.error\.responseType/g, type)
      .replace(/\$context\.requestId/g, requestId);
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': type === 'MISSING_AUTHENTICATION_TOKEN' ? 'MissingAuthenticationTokenException' : type,
      ...inherited?.headers,
      ...own?.headers,
      ...extraHeaders,
    });
    response.end(body);
    return status;
  }

  async function handle(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://local');
    const [, stageName, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const method = (request.method ?? 'GET').toUpperCase();
    const done = (status: number, outcome: string) =>
      options.log(`api      ${method} /${stageName}${path} → ${status} ${outcome} (${Date.now() - started} ms)`);
    const stage = stages.get(stageName);
    if (stage === undefined) {
      done(sendGatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', requestId), 'no such stage');
      return;
    }
    // Token bucket: `rate` tokens a second, at most `burst` banked.
    const now = Date.now();
    stage.tokens = Math.min(stage.burst, stage.tokens + ((now - stage.last) / 1000) * stage.rate);
    stage.last = now;
    if (stage.tokens < 1) {
      done(sendGatewayResponse(response, 'THROTTLED', 'Too Many Requests', requestId), 'throttled');
      return;
    }
    stage.tokens -= 1;

    const match = matchRoute(methods, method, path);
    if (match === undefined) {
      done(sendGatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', requestId), 'no route');
      return;
    }
    const { route, pathParameters } = match;
    const headers = headersOf(request);
    const query = url.searchParams;

    let authorizer: Record<string, unknown> | undefined;
    if (route.authorizationType === 'COGNITO_USER_POOLS') {
      const source = String(route.authorizer?.IdentitySource ?? 'method.request.header.Authorization')
        .replace(/^method\.request\.header\./, '')
        .toLowerCase();
      const token = (headers.single[Object.keys(headers.single).find((name) => name.toLowerCase() === source) ?? ''] ?? '').replace(
        /^Bearer\s+/i,
        '',
      );
      if (token === '') {
        done(sendGatewayResponse(response, 'UNAUTHORIZED', 'Unauthorized', requestId), 'no token');
        return;
      }
      const poolArns = (route.authorizer?.ProviderARNs as string[] | undefined) ?? [];
      const issuers = poolArns.map((arn) => options.issuerForUserPoolArn(arn)).filter((issuer): issuer is string => issuer !== undefined);
      if (options.verifyCognito === undefined || issuers.length === 0) {
        options.log(`api      !!! ${method} ${path}: COGNITO_USER_POOLS authorizer but no local identity provider is available; refusing`);
        done(sendGatewayResponse(response, 'UNAUTHORIZED', 'Unauthorized', requestId), 'authorizer not available');
        return;
      }
      let verdict: Awaited<ReturnType<CognitoVerifier>> = { ok: false, status: 401, message: 'Unauthorized' };
      for (const issuer of issuers) {
        verdict = await options.verifyCognito(token, { issuer, scopes: route.scopes });
        if (verdict.ok) break;
      }
      if (!verdict.ok) {
        done(
          sendGatewayResponse(response, verdict.status === 403 ? 'ACCESS_DENIED' : 'UNAUTHORIZED', verdict.message, requestId),
          'denied by authorizer',
        );
        return;
      }
      authorizer = { claims: verdict.claims, scopes: route.scopes.length > 0 ? String(verdict.claims.scope ?? '').split(' ') : null };
    } else if (route.authorizationType !== 'NONE') {
      options.log(`api      !!! ${method} ${path}: authorization type ${route.authorizationType} is not emulated; refusing`);
      done(sendGatewayResponse(response, 'UNAUTHORIZED', 'Unauthorized', requestId), 'authorizer not emulated');
      return;
    }

    if (route.validator?.parameters) {
      const missing = Object.entries(route.requestParameters)
        .filter(([, required]) => required === true)
        .map(([name]) => name)
        .filter((name) => {
          const [, , where, key] = name.split('.');
          if (where === 'querystring') return !query.has(key);
          if (where === 'header')
            return (
              headers.single[Object.keys(headers.single).find((header) => header.toLowerCase() === key.toLowerCase()) ?? ''] === undefined
            );
          if (where === 'path') return pathParameters[key] === undefined;
          return false;
        })
        .map((name) => name.split('.').pop());
      if (missing.length > 0) {
        done(
          sendGatewayResponse(
            response,
            'BAD_REQUEST_PARAMETERS',
            `Missing required request parameters: [${missing.join(', ')}]`,
            requestId,
          ),
          'invalid parameters',
        );
        return;
      }
    }
    if (route.validator?.body) {
      const contentType = (
        headers.single[Object.keys(headers.single).find((name) => name.toLowerCase() === 'content-type') ?? ''] ?? 'application/json'
      )
        .split(';')[0]
        .trim();
      const modelRef = route.requestModels[contentType] ?? route.requestModels['$default'];
      const validate = modelRef === undefined ? undefined : schemas.get(modelRef);
      if (validate !== undefined) {
        let parsed: unknown;
        let valid: boolean;
        try {
          parsed = JSON.parse(body.toString('utf8'));
          valid = validate(parsed) === true;
        } catch {
          valid = false;
        }
        if (!valid) {
          const detail = (validate.errors ?? []).map((error) => `${error.instancePath || 'object'} ${error.message ?? ''}`).join(', ');
          done(
            sendGatewayResponse(response, 'BAD_REQUEST_BODY', 'Invalid request body', requestId, {}, `[${detail}]`),
            `invalid body: ${detail}`,
          );
          return;
        }
      }
    }

    const integration = route.integration;
    const uri = String(integration.Uri ?? '');
    const functionArn = /functions\/(.+)\/invocations$/.exec(uri)?.[1];
    if (integration.Type !== 'AWS_PROXY' || functionArn === undefined) {
      options.log(`api      !!! ${method} ${path}: integration ${String(integration.Type)} ${uri} is not emulated`);
      done(sendGatewayResponse(response, 'API_CONFIGURATION_ERROR', 'Internal server error', requestId), 'integration not emulated');
      return;
    }

    const textual = isTextual(headers.single);
    const requestTime = new Date();
    const event = {
      resource: route.resourcePath,
      path,
      httpMethod: method,
      headers: Object.keys(headers.single).length === 0 ? null : headers.single,
      multiValueHeaders: Object.keys(headers.multi).length === 0 ? null : headers.multi,
      queryStringParameters:
        query.size === 0 ? null : Object.fromEntries([...query.keys()].map((key) => [key, query.getAll(key).at(-1) as string])),
      multiValueQueryStringParameters:
        query.size === 0 ? null : Object.fromEntries([...new Set(query.keys())].map((key) => [key, query.getAll(key)])),
      pathParameters: Object.keys(pathParameters).length === 0 ? null : pathParameters,
      stageVariables: null,
      requestContext: {
        accountId: model.account,
        apiId: api.ref,
        ...(authorizer === undefined ? {} : { authorizer }),
        domainName: `${request.headers.host ?? 'localhost'}`,
        domainPrefix: api.ref,
        extendedRequestId: requestId,
        httpMethod: method,
        identity: {
          accessKey: null,
          accountId: null,
          caller: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          user: null,
          userAgent: request.headers['user-agent'] ?? null,
          userArn: null,
        },
        path: `/${stageName}${path}`,
        protocol: `HTTP/${request.httpVersion}`,
        requestId,
        requestTime: formatRequestTime(requestTime),
        requestTimeEpoch: requestTime.getTime(),
        resourceId: route.resourceId,
        resourcePath: route.resourcePath,
        stage: stageName,
      },
      body: body.length === 0 ? null : textual ? body.toString('utf8') : body.toString('base64'),
      isBase64Encoded: body.length > 0 && !textual,
    };
    const outcome = await options.invokeFunction(functionArn, event, `api ${method} ${route.resourcePath}`);
    if (!outcome.ok) {
      const timedOut = outcome.error.errorType === 'Sandbox.Timedout';
      const status = timedOut
        ? sendGatewayResponse(response, 'INTEGRATION_TIMEOUT', 'Endpoint request timed out', requestId)
        : sendProxyFailure(response, requestId);
      done(status, `function error ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return;
    }
    const result = outcome.result as {
      statusCode?: number;
      headers?: Record<string, unknown>;
      multiValueHeaders?: Record<string, unknown[]>;
      body?: unknown;
      isBase64Encoded?: boolean;
    } | null;
    if (
      result === null ||
      typeof result !== 'object' ||
      (result.statusCode !== undefined && !Number.isInteger(Number(result.statusCode)))
    ) {
      done(sendProxyFailure(response, requestId), 'malformed Lambda proxy response');
      return;
    }
    const responseHeaders: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [name, value] of Object.entries(result.headers ?? {})) responseHeaders[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) responseHeaders[name] = values.map(String);
    const status = Number(result.statusCode ?? 200);
    const payload = result.body === undefined || result.body === null ? '' : String(result.body);
    // API Gateway answers application/json when the function names no content type.
    if (!Object.keys(responseHeaders).some((name) => name.toLowerCase() === 'content-type'))
      responseHeaders['content-type'] = 'application/json';
    response.writeHead(status, responseHeaders);
    response.end(result.isBase64Encoded === true ? Buffer.from(payload, 'base64') : payload);
    done(status, `function ${outcome.durationMs} ms`);
  }

  function sendProxyFailure(response: http.ServerResponse, requestId: string): number {
    // A failed or malformed Lambda proxy answer is a 502 "Internal server error" in API Gateway.
    response.writeHead(502, {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': 'InternalServerErrorException',
    });
    response.end(JSON.stringify({ message: 'Internal server error' }));
    return 502;
  }

  await listen(server, options.host, options.port, `REST API ${apiName}`);
  const address = server.address() as { port: number };
  return { url: `http://${options.host}:${address.port}`, stages: [...stages.keys()], close: () => closeServer(server) };
}

function matchRoute(
  methods: Method[],
  httpMethod: string,
  path: string,
): { route: Method; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter((segment) => segment !== '');
  let best: { route: Method; pathParameters: Record<string, string>; score: number } | undefined;
  for (const route of methods) {
    if (route.httpMethod !== httpMethod && route.httpMethod !== 'ANY') continue;
    const template = route.resourcePath.split('/').filter((segment) => segment !== '');
    const pathParameters: Record<string, string> = {};
    let score = 0;
    let matched = true;
    for (let index = 0; index < template.length; index += 1) {
      const part = template[index];
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy !== null) {
        if (index >= segments.length) matched = false;
        else pathParameters[greedy[1]] = segments.slice(index).map(decodeURIComponent).join('/');
        score += 1;
        break;
      }
      if (index >= segments.length) {
        matched = false;
        break;
      }
      const parameter = /^\{(.+)\}$/.exec(part);
      if (parameter !== null) {
        pathParameters[parameter[1]] = decodeURIComponent(segments[index]);
        score += 2;
      } else if (part === segments[index]) score += 3;
      else {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    if (template.length !== segments.length && !template.some((part) => /^\{.+\+\}$/.test(part))) continue;
    score += route.httpMethod === httpMethod ? 1 : 0;
    if (best === undefined || score > best.score) best = { route, pathParameters, score };
  }
  return best;
}

function headersOf(request: http.IncomingMessage): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index];
    const value = request.rawHeaders[index + 1];
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

function isTextual(headers: Record<string, string>): boolean {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  return contentType === '' || /^(text\/|application\/(json|xml|x-www-form-urlencoded|.*\+json))/i.test(contentType);
}

function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
