import * as http from 'node:http';

// What the runner's parts share: the shapes of the IAM gateway and policy evaluator they are given
// (tools/local-cloud/iam/), and how each local server listens and closes.
export type { PolicyStatement } from './iam/types';
import type { PolicyStatement } from './iam/types';

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
