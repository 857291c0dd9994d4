import { authorize } from './iam/authorize';
import { evaluatePolicies } from './iam/evaluate';
import { startAwsGateway } from './iam/gateway';
import { mapStateMachineTask } from './iam/states-tasks';
import { startLocalIdentityProvider, verifyCognitoAuthorizer } from './identity/idp';
import type { LocalIdentity } from './platform';
import type { EvaluatePolicies, PolicyStatement, StartAwsGateway } from './runtime';

export interface Plugins {
  readonly startGateway: StartAwsGateway;
  readonly evaluate: EvaluatePolicies;
  readonly identity: LocalIdentity;
  /** Checks a state machine Task's IAM calls against the machine's role (in-process calls). */
  readonly checkTask: TaskCheck;
}

/**
 * The IAM gateway, the policy evaluator and the local identity provider (tools/local-cloud/iam/
 * and identity/), adapted to the runner's interfaces.
 */
export function loadPlugins(): Plugins {
  const identity: LocalIdentity = {
    start: (pools) => startLocalIdentityProvider({ host: '127.0.0.1', port: 0, pools }),
    // The provider publishes each pool's keys under its issuer, as Cognito does.
    verify: (token, options) => verifyCognitoAuthorizer(token, { ...options, jwksUrl: `${options.issuer}/.well-known/jwks.json` }),
  };
  // State machine tasks run in the runner's process, so the gateway never sees their calls: each
  // Task's calls are mapped and authorized before it runs.
  const checkTask: TaskCheck = (input) => {
    const mapped = mapStateMachineTask(input.resource, input.parameters as Record<string, unknown> | undefined, {
      account: input.account,
      region: input.region,
    });
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
  return {
    startGateway: startAwsGateway,
    evaluate: evaluatePolicies,
    identity,
    checkTask,
  };
}

export type TaskCheck = (input: {
  principal: { name: string; roleArn: string; statements: PolicyStatement[] };
  resource: string;
  parameters: unknown;
  resourcePolicies: Array<{ resourceArn: string; statements: PolicyStatement[] }>;
  account: string;
  region: string;
  log: (line: string) => void;
}) => { allowed: true } | { allowed: false; action: string; message: string };
