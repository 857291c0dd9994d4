import * as http from 'node:http';

// What the runner's parts share: the IAM gateway's and policy evaluator's shapes (defined once, in
// tools/local-cloud/iam/), and how each local server listens and closes.
import type { startAwsGateway } from './iam/gateway';
import type { evaluatePolicies } from './iam/evaluate';
export type { PolicyStatement } from './iam/types';
export type { AwsGateway, AwsGatewayOptions } from './iam/gateway';
export type { LocalPrincipal as Principal } from './iam/authorize';
export type StartAwsGateway = typeof startAwsGateway;
export type EvaluatePolicies = typeof evaluatePolicies;

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
