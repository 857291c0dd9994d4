import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize, LocalPrincipal } from './authorize';
import { AwsServiceName, mapAwsRequest, mappingNeedsBody } from './requests';
import type { PolicyStatement } from './types';

/**
 * One loopback endpoint for every AWS service a local function, task or state machine calls
 * (`AWS_ENDPOINT_URL=<url>`). It identifies the caller by the access key id in the SigV4 credential,
 * maps the request to IAM actions and resources, evaluates the caller's role statements and the
 * resource's policy, forwards allowed requests to the local engine of that service, and answers
 * denied ones the way the real service does, so the SDK raises the same exception class.
 *
 * Keys identify callers; signatures are not verified (the engines behind do their own checks, if
 * any). Headers, including Host and Authorization, are forwarded untouched so an engine that checks
 * signatures still sees a valid one.
 */
export interface AwsGatewayOptions {
  host: string;
  port: number;
  backends: Partial<Record<AwsServiceName, string /* base URL of the local engine */>>;
  /**
   * Callers by access key id. `roleArn` is the role's ARN; for a service delivering on AWS's side
   * (SNS to SQS, S3 to SNS) it may instead be the service principal (`sns.amazonaws.com`), whose
   * access then comes from resource policies only.
   */
  principals: Map<string /* access key id */, LocalPrincipal /* { name, roleArn, statements } */>;
  resourcePolicies: Array<{ resourceArn: string; statements: PolicyStatement[] }>;
  account: string;
  region: string;
  log: (line: string) => void;
  /** Optional: the partition key attribute of a table ARN, to evaluate `dynamodb:LeadingKeys`. */
  hashKeyOf?: (tableArn: string) => string | undefined;
  /**
   * Optional: the task role and execution role ARNs of a task definition (as RunTask names it), so
   * RunTask also needs `iam:PassRole` on them, as it does on AWS.
   */
  passRolesOf?: (taskDefinitionArn: string) => string[];
}

export interface AwsGateway {
  url: string;
  close(): Promise<void>;
}

/**
 * A service principal (an entry whose `roleArn` is a service name such as `sns.amazonaws.com`) may
 * say on whose behalf it calls, as AWS does with aws:SourceArn: the local glue that delivers an SNS
 * message to SQS sets this header to the topic ARN, so queue policies conditioned on it evaluate.
 */
export const SOURCE_ARN_HEADER = 'x-local-iam-source-arn';

/** Bodies of JSON and query-protocol calls are read whole before forwarding; this caps them. */
const MAX_BUFFERED_BODY = 16 * 1024 * 1024;

interface Caller {
  accessKeyId: string;
  service: string;
  region: string;
}

/** The access key id, region and service of a SigV4 header or presigned URL. */
export function parseCredential(headers: http.IncomingHttpHeaders, query: URLSearchParams): Caller | undefined {
  const authorization = headers.authorization;
  let credential: string | undefined;
  if (typeof authorization === 'string') credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
  credential ??= query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const [accessKeyId, , region, service] = credential.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, region, service };
}

type Denial = { status: number; headers: Record<string, string>; body: string };

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function jsonError(status: number, type: string, message: string, contentType: string, extra: Record<string, string> = {}): Denial {
  return {
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), ...extra },
    body: JSON.stringify({ __type: type, message, Message: message }),
  };
}

function queryXmlError(status: number, code: string, message: string, namespace?: string): Denial {
  const requestId = randomUUID();
  const xmlns = namespace ? ` xmlns="${namespace}"` : '';
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse${xmlns}><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function s3XmlError(code: string, message: string, method: string): Denial {
  const requestId = randomUUID();
  // S3 answers a denied HEAD with headers only.
  const body =
    method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`;
  return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
}

/** Whether an SQS request uses the AWS JSON protocol (current SDKs) or the older query protocol. */
function isJsonProtocol(headers: http.IncomingHttpHeaders): boolean {
  return typeof headers['x-amz-target'] === 'string';
}

/** The AccessDenied answer each service gives, in its own wire format. */
export function accessDeniedResponse(service: string, method: string, headers: http.IncomingHttpHeaders, message: string): Denial {
  switch (service) {
    case 'dynamodb':
      return jsonError(400, 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message, 'application/x-amz-json-1.0');
    case 's3':
      return s3XmlError('AccessDenied', message, method);
    case 'sqs':
      return isJsonProtocol(headers)
        ? jsonError(403, 'com.amazon.coral.service#AccessDeniedException', message, 'application/x-amz-json-1.0', {
            'x-amzn-query-error': 'AccessDenied;Sender',
          })
        : queryXmlError(403, 'AccessDenied', message);
    case 'sns':
      return queryXmlError(403, 'AuthorizationError', message, 'http://sns.amazonaws.com/doc/2010-03-31/');
    case 'states':
      return jsonError(400, 'AccessDeniedException', message, 'application/x-amz-json-1.0');
    case 'ecs':
    case 'events':
      return jsonError(400, 'AccessDeniedException', message, 'application/x-amz-json-1.1');
    case 'lambda':
    case 'scheduler':
      return {
        status: 403,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify({ Type: 'User', message, Message: message }),
      };
    default:
      return jsonError(403, 'AccessDeniedException', message, 'application/json');
  }
}

/** The answer to a key nobody was given: each service's "invalid security token" error. */
export function unknownKeyResponse(service: string, method: string, headers: http.IncomingHttpHeaders, message: string): Denial {
  switch (service) {
    case 's3':
      return s3XmlError('InvalidAccessKeyId', message, method);
    case 'sns':
      return queryXmlError(403, 'InvalidClientTokenId', message, 'http://sns.amazonaws.com/doc/2010-03-31/');
    case 'sqs':
      return isJsonProtocol(headers)
        ? jsonError(403, 'com.amazon.coral.service#InvalidClientTokenId', message, 'application/x-amz-json-1.0', {
            'x-amzn-query-error': 'InvalidClientTokenId;Sender',
          })
        : queryXmlError(403, 'InvalidClientTokenId', message);
    case 'lambda':
    case 'scheduler':
      return {
        status: 403,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnrecognizedClientException' },
        body: JSON.stringify({ message, Message: message }),
      };
    case 'ecs':
    case 'events':
      return jsonError(400, 'UnrecognizedClientException', message, 'application/x-amz-json-1.1');
    default:
      return jsonError(400, 'UnrecognizedClientException', message, 'application/x-amz-json-1.0');
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_BODY) {
        reject(new Error(`request body over ${MAX_BUFFERED_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startAwsGateway(opts: AwsGatewayOptions): Promise<AwsGateway> {
  const send = (res: http.ServerResponse, denial: Denial) => {
    // The client may still be sending a body we will not read: close rather than drain it.
    res.writeHead(denial.status, { ...denial.headers, 'content-length': Buffer.byteLength(denial.body), connection: 'close' });
    res.end(denial.body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://gateway');
    const caller = parseCredential(req.headers, url.searchParams);
    if (!caller) {
      opts.log(`[local-iam] DENIED unsigned request ${method} ${url.pathname}: no SigV4 credential`);
      return send(res, {
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' }),
      });
    }
    const service = caller.service;
    const principal = opts.principals.get(caller.accessKeyId);
    if (!principal) {
      const message = 'The security token included in the request is invalid.';
      opts.log(`[local-iam] DENIED unknown access key ${caller.accessKeyId} calling ${service} ${method} ${url.pathname}: ${message}`);
      return send(res, unknownKeyResponse(service, method, req.headers, message));
    }
    const backend = opts.backends[service as AwsServiceName];

    const needsBody = mappingNeedsBody(service, method, url.searchParams);
    const expectsContinue = String(req.headers.expect ?? '').toLowerCase() === '100-continue';
    let body: Buffer | undefined;
    if (needsBody) {
      if (expectsContinue) res.writeContinue();
      body = await readBody(req);
    }

    const mapped = mapAwsRequest(
      { service, method, path: url.pathname, query: url.searchParams, headers: req.headers, body },
      { account: opts.account, region: opts.region, hashKeyOf: opts.hashKeyOf, passRolesOf: opts.passRolesOf },
    );
    if (!mapped.ok) {
      const message = `User: ${principal.roleArn} is not authorized to perform: ${service}:${mapped.operation ?? 'unknown'} (local IAM: ${mapped.reason})`;
      opts.log(`[local-iam] ACCESS DENIED ${principal.name} ${service}:${mapped.operation ?? '?'} on ? — ${mapped.reason}`);
      return send(res, accessDeniedResponse(service, method, req.headers, message));
    }

    const sourceArn = req.headers[SOURCE_ARN_HEADER];
    const decision = authorize({
      principal,
      requests: mapped.requests,
      resourcePolicies: opts.resourcePolicies,
      account: opts.account,
      region: caller.region,
      sourceArn: typeof sourceArn === 'string' ? sourceArn : undefined,
      operation: mapped.operation,
      log: opts.log,
    });
    if (!decision.allowed) return send(res, accessDeniedResponse(service, method, req.headers, decision.message));

    if (!backend) {
      const message = `no local engine serves ${service}`;
      opts.log(`[local-iam] ${principal.name} ${mapped.operation}: ${message}`);
      return send(res, {
        status: 501,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'NotImplemented', message }),
      });
    }
    if (!needsBody && expectsContinue) res.writeContinue();
    forward(req, res, backend, body, opts.log, `${principal.name} ${mapped.operation}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      opts.log(`[local-iam] gateway error on ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent)
        send(res, {
          status: 500,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ __type: 'InternalFailure', message: error.message }),
        });
      else res.destroy();
    });
  });
  // Answer `Expect: 100-continue` ourselves, only once the request is authorized (a denied upload
  // is refused before its body is sent, as S3 does).
  server.on('checkContinue', (req, res) => server.emit('request', req, res));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: string,
  body: Buffer | undefined,
  log: (line: string) => void,
  label: string,
) {
  // Keep any path prefix of the engine's base URL (an engine mounted under /sqs, say).
  const base = new URL(backend);
  const target = new URL(`${base.pathname.replace(/\/$/, '')}${req.url ?? '/'}`, base);
  const headers = { ...req.headers };
  delete headers.expect; // handled here; the engine gets the body straight away
  delete headers[SOURCE_ARN_HEADER];
  if (body) headers['content-length'] = String(body.length);
  const upstream = http.request(
    {
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers,
    },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    log(`[local-iam] ${label}: engine at ${backend} failed: ${error.message}`);
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `local engine failed: ${error.message}` }));
    } else res.destroy();
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}
