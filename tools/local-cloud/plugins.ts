import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowAllEvaluate, startAllowAllGateway, type EvaluatePolicies, type StartAwsGateway } from './iam-standin';
import type { LocalIdentity } from './platform';

export interface Plugins {
  readonly startGateway: StartAwsGateway;
  readonly evaluate: EvaluatePolicies;
  readonly identity: LocalIdentity | undefined;
  /** Checks a state machine Task's IAM calls against the machine's role (in-process calls). */
  readonly checkTask: TaskCheck | undefined;
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
      start: (pools) =>
        (start as unknown as (options: { host: string; port: number; pools: typeof pools }) => ReturnType<LocalIdentity['start']>)({
          host: '127.0.0.1',
          port: 0,
          pools,
        }),
      // The provider publishes each pool's keys under its issuer, as Cognito does.
      verify: (token, options) =>
        (
          verify as unknown as (
            token: string,
            options: { issuer: string; jwksUrl: string; scopes: string[] },
          ) => ReturnType<LocalIdentity['verify']>
        )(token, {
          ...options,
          jwksUrl: `${options.issuer}/.well-known/jwks.json`,
        }),
    };
  } else standIns.push('identity provider (Cognito authorizers refuse every request)');
  // State machine tasks run in the runner's process, so the gateway never sees their calls: with
  // the IAM modules present, each Task's calls are mapped and authorized before it runs.
  const authorize = load<(input: Record<string, unknown>) => { allowed: boolean; message?: string; action?: string }>(
    'iam/authorize',
    'authorize',
  );
  const mapTask = load<
    (
      resource: string,
      parameters: unknown,
      env: { account: string; region: string },
    ) => { ok: boolean; requests?: unknown[]; reason?: string }
  >('iam/states-tasks', 'mapStateMachineTask');
  let checkTask: TaskCheck | undefined;
  if (authorize !== undefined && mapTask !== undefined) {
    checkTask = (input) => {
      const mapped = mapTask(input.resource, input.parameters, { account: input.account, region: input.region });
      if (!mapped.ok) return { allowed: false, action: input.resource, message: `local IAM cannot map this task: ${mapped.reason ?? ''}` };
      const result = authorize({
        principal: input.principal,
        requests: mapped.requests,
        resourcePolicies: input.resourcePolicies,
        account: input.account,
        region: input.region,
        log: input.log,
      });
      return result.allowed
        ? { allowed: true }
        : { allowed: false, action: result.action ?? input.resource, message: result.message ?? 'AccessDenied' };
    };
  } else standIns.push('state machine task IAM checks (tasks run without them)');
  return { startGateway, evaluate, identity, checkTask, standIns };
}

export type TaskCheck = (input: {
  principal: { name: string; roleArn: string; statements: unknown[] };
  resource: string;
  parameters: unknown;
  resourcePolicies: Array<{ resourceArn: string; statements: unknown[] }>;
  account: string;
  region: string;
  log: (line: string) => void;
}) => { allowed: true } | { allowed: false; action: string; message: string };
