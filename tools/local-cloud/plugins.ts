import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowAllEvaluate, startAllowAllGateway, type EvaluatePolicies, type StartAwsGateway } from './iam-standin';
import type { LocalIdentity } from './platform';

export interface Plugins {
  readonly startGateway: StartAwsGateway;
  readonly evaluate: EvaluatePolicies;
  readonly identity: LocalIdentity | undefined;
  /** What is a stand-in, for the banner. */
  readonly standIns: string[];
}

/**
 * The IAM gateway, the policy evaluator and the local identity provider live in
 * tools/local-cloud/iam/ and tools/local-cloud/identity/. Where they are not there, the runner
 * uses allow-all stand-ins with the same interfaces and says so loudly.
 */
export function loadPlugins(): Plugins {
  const standIns: string[] = [];
  const load = <T>(relative: string, name: string): T | undefined => {
    const file = path.join(__dirname, relative);
    if (!['.ts', '.js'].some((extension) => fs.existsSync(`${file}${extension}`))) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(file) as Record<string, T>)[name];
  };
  let startGateway = load<StartAwsGateway>('iam/gateway', 'startAwsGateway');
  if (startGateway === undefined) {
    startGateway = startAllowAllGateway;
    standIns.push('IAM gateway (every AWS call is ALLOWED: tools/local-cloud/iam/gateway.ts is not there)');
  }
  let evaluate = load<EvaluatePolicies>('iam/evaluate', 'evaluatePolicies');
  if (evaluate === undefined) {
    evaluate = allowAllEvaluate;
    standIns.push('policy evaluator for service deliveries (everything ALLOWED)');
  }
  const start = load<LocalIdentity['start']>('identity/idp', 'startLocalIdentityProvider');
  const verify = load<LocalIdentity['verify']>('identity/idp', 'verifyCognitoAuthorizer');
  let identity: LocalIdentity | undefined;
  if (start !== undefined && verify !== undefined) {
    identity = {
      start: (pools) => (start as unknown as (options: { host: string; port: number; pools: typeof pools }) => ReturnType<LocalIdentity['start']>)({ host: '127.0.0.1', port: 0, pools }),
      verify,
    };
  } else standIns.push('identity provider (Cognito authorizers refuse every request)');
  return { startGateway, evaluate, identity, standIns };
}
