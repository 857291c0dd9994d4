import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { nameProblem } from '../domain/text-rules';
import { errorResponse, jsonResponse } from '../shared/http';

/** What the function accepts: the seed's direct invocation (`{ "name": "Ada" }`) or an API Gateway proxy event. */
export type HelloEvent = { readonly name?: unknown } | Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'requestContext'>;

/** In Unicode code points, after trimming, as for users' names. */
const MAX_NAME_LENGTH = 100;
const DEFAULT_NAME = 'World';

function nameFrom(event: HelloEvent | null | undefined): unknown {
  if (event === null || typeof event !== 'object') return undefined;
  if ('requestContext' in event) return event.queryStringParameters?.name;
  return (event as { name?: unknown }).name;
}

/**
 * The smallest working example: "Hello, {name}!". The name is trimmed and judged by the same rules
 * as users' names (text-rules.ts); a missing or blank name (`?name=`) greets the default, "World",
 * as a form sent with its field left empty would expect.
 */
export async function handler(event: HelloEvent): Promise<APIGatewayProxyResult> {
  const given = nameFrom(event);
  if (given !== undefined && given !== null && typeof given !== 'string') {
    return errorResponse(400, 'BadRequest', 'name must be a string');
  }
  const name = (given ?? '').trim() || DEFAULT_NAME;
  const problem = nameProblem(name, MAX_NAME_LENGTH);
  if (problem !== undefined) return errorResponse(400, 'BadRequest', `name ${problem}`);
  return jsonResponse(200, { message: `Hello, ${name}!` });
}
