import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'aws-events');

/** A fresh copy of one of AWS's sample events (test/fixtures/aws-events). */
export function fixture<T>(fileName: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, fileName), 'utf8')) as T;
}

export interface ApiRequest {
  readonly method: string;
  /** The route's resource, for example `/users/{id}`. */
  readonly resource: string;
  /** The request path, for example `/users/0b7...`. @default resource */
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/** An API Gateway REST proxy event (payload 1.0), built on AWS's sample with the request's parts. */
export function apiEvent(request: ApiRequest): APIGatewayProxyEvent {
  const event = fixture<APIGatewayProxyEvent>('apiGatewayProxyEvent.json');
  const requestPath = request.path ?? request.resource;
  const headers = { 'Content-Type': 'application/json', ...request.headers };
  return {
    ...event,
    resource: request.resource,
    path: requestPath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: request.query ?? null,
    multiValueQueryStringParameters: request.query
      ? Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, [value]]))
      : null,
    pathParameters: request.pathParameters ?? null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      ...event.requestContext,
      httpMethod: request.method,
      resourcePath: request.resource,
      path: `/v1${requestPath}`,
      stage: 'v1',
    },
  };
}

/** A Lambda context with the fields handlers and the logger read. */
export function lambdaContext(functionName = 'test-function', remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `request-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
