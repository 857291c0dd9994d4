import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { logger } from './logger';

/** Every error response has this body, whichever layer (API Gateway or a handler) produced it. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly details?: unknown;
}

const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function emptyResponse(statusCode: number): APIGatewayProxyResult {
  return { statusCode, headers: { 'Cache-Control': 'no-store' }, body: '' };
}

export function errorResponse(statusCode: number, error: string, message: string, details?: unknown): APIGatewayProxyResult {
  const body: ErrorBody = details === undefined ? { error, message } : { error, message, details };
  return jsonResponse(statusCode, body);
}

/** Largest body a handler will parse; API Gateway already caps payloads at 10 MB. */
const MAX_BODY_BYTES = 64 * 1024;

/** Parses the request body as JSON, or throws a ValidationError a client can act on. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): unknown {
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new ValidationError('The request body must be a JSON object', [{ path: '', message: 'body is empty' }]);
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ValidationError('The request body is too large', [{ path: '', message: `must be at most ${MAX_BODY_BYTES} bytes` }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('The request body is not valid JSON', [{ path: '', message: 'malformed JSON' }]);
  }
}

/** Maps the domain's typed errors to responses; anything else is a bug, logged and answered with a 500. */
export function responseForError(error: unknown): APIGatewayProxyResult {
  if (error instanceof ValidationError) {
    return errorResponse(400, 'BadRequest', error.message, error.problems.length > 0 ? error.problems : undefined);
  }
  if (error instanceof NotFoundError) return errorResponse(404, 'NotFound', error.message);
  if (error instanceof ConflictError) return errorResponse(409, 'Conflict', error.message);
  logger.error('Unhandled error', error as Error);
  return errorResponse(500, 'InternalError', 'Something went wrong on our side');
}

export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Wraps an API handler: adds the request to every log line and turns thrown errors into responses. */
export function httpHandler(handle: HttpHandler): HttpHandler {
  return async (event, context) => {
    logger.addContext(context);
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: `${event.httpMethod} ${event.resource}` });
    try {
      return await handle(event, context);
    } catch (error) {
      return responseForError(error);
    } finally {
      logger.resetKeys();
    }
  };
}
