import * as http from 'node:http';

/**
 * A statement of an IAM policy, already resolved to plain ARNs (compatible with the type the IAM
 * gateway defines in tools/local-cloud/iam/types.ts).
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export type GatewayService = 'dynamodb' | 's3' | 'sns' | 'sqs' | 'states' | 'lambda' | 'ecs' | 'events' | 'scheduler';

export interface Principal {
  readonly name: string;
  readonly roleArn: string;
  readonly statements: PolicyStatement[];
}

export interface AwsGatewayOptions {
  host: string;
  port: number;
  backends: Partial<Record<GatewayService, string>>;
  principals: Map<string, Principal>;
  resourcePolicies: Array<{ resourceArn: string; statements: PolicyStatement[] }>;
  account: string;
  region: string;
  log: (line: string) => void;
  /** The partition key attribute of a table ARN (for dynamodb:LeadingKeys). */
  hashKeyOf?: (tableArn: string) => string | undefined;
  /** The task and execution role ARNs of a task definition (RunTask needs iam:PassRole on them). */
  passRolesOf?: (taskDefinitionArn: string) => string[];
}

export interface AwsGateway {
  readonly url: string;
  close(): Promise<void>;
}

export type StartAwsGateway = (options: AwsGatewayOptions) => Promise<AwsGateway>;

/** As tools/local-cloud/iam/evaluate.ts: `resourcePolicy` holds the resource's statements, `resource` the ARN. */
export type EvaluatePolicies = (request: {
  identity: PolicyStatement[];
  resourcePolicy?: PolicyStatement[];
  principal: { type: 'AWS' | 'Service'; id: string };
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}) => { decision: 'allow' | 'explicit-deny' | 'implicit-deny'; reason: string };

/**
 * STAND-IN until the IAM gateway (tools/local-cloud/iam/gateway.ts) is merged: one endpoint for
 * every AWS service that identifies the service from the SigV4 credential scope and forwards the
 * request to its local engine, ALLOWING EVERYTHING. It has the gateway's interface so the runner
 * swaps it for the real one without other changes.
 */
export const startAllowAllGateway: StartAwsGateway = async (options) => {
  const server = http.createServer((request, response) => {
    const scope = credentialScope(request);
    const service = scope?.service as GatewayService | undefined;
    const backend = service === undefined ? undefined : options.backends[service];
    if (backend === undefined) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          __type: 'UnrecognizedClientException',
          message: `service ${service ?? '(unsigned request)'} is not emulated locally`,
        }),
      );
      options.log(`gateway  ${service ?? '?'} ${request.method} ${request.url} → not emulated`);
      return;
    }
    const target = new URL(request.url ?? '/', backend);
    const forwarded = http.request(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ __type: 'ServiceUnavailable', message: error.message }));
    });
    request.pipe(forwarded);
  });
  await listen(server, options.host, options.port, 'AWS gateway');
  const address = server.address() as { port: number };
  return {
    url: `http://${options.host}:${address.port}`,
    close: () => closeServer(server),
  };
};

/** Stand-in for the policy evaluator: allows everything (see startAllowAllGateway). */
export const allowAllEvaluate: EvaluatePolicies = () => ({ decision: 'allow', reason: 'stand-in evaluator allows everything' });

/** The access key, region and service of a SigV4-signed request (header or presigned query). */
export function credentialScope(request: http.IncomingMessage): { accessKeyId: string; region: string; service: string } | undefined {
  const header = request.headers.authorization ?? '';
  let credential = /Credential=([^,\s]+)/.exec(header)?.[1];
  if (credential === undefined) {
    const query = new URL(request.url ?? '/', 'http://local').searchParams.get('X-Amz-Credential');
    credential = query ?? undefined;
  }
  if (credential === undefined) return undefined;
  const [accessKeyId, , region, service] = decodeURIComponent(credential).split('/');
  return { accessKeyId, region, service };
}

/** Listens, turning "address in use" into a clear error that names the port and what wanted it. */
export function listen(server: http.Server, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${what}: port ${port} on ${host} is already in use; stop what holds it or choose another port`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
