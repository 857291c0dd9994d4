import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse, jsonResponse } from '../shared/http';

/** What the function accepts: the seed's direct invocation (`{ "name": "Ada" }`) or an API Gateway proxy event. */
export type HelloEvent = { readonly name?: unknown } | Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'requestContext'>;

const MAX_NAME_LENGTH = 100;

function nameFrom(event: HelloEvent | null | undefined): unknown {
  if (event === null || typeof event !== 'object') return undefined;
  if ('requestContext' in event) return event.queryStringParameters?.name;
  return (event as { name?: unknown }).name;
}

/** The smallest working example: "Hello, {name}!", with `name` defaulting to "World". */
export async function handler(event: HelloEvent): Promise<APIGatewayProxyResult> {
  const name = nameFrom(event) ?? 'World';
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    return errorResponse(400, 'BadRequest', `name must be a string of at most ${MAX_NAME_LENGTH} characters`);
  }
  return jsonResponse(200, { message: `Hello, ${name}!` });
}
