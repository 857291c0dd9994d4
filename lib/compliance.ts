import {
  App,
  Stack,
  Validations,
  type IPolicyValidationContextBeta1,
  type IPolicyValidationPluginBeta1,
  type PolicyValidationPluginReportBeta1,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { TaskDefinition } from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';

// cdk-nag names each IAM5 finding after the resource as it flattens it; the same function names
// the acknowledgement, so it covers exactly that resource and nothing wider.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { flattenCfnReference } = require('cdk-nag/lib/utils/flatten-cfn-reference') as {
  flattenCfnReference: (reference: unknown) => string;
};

interface WildcardAcknowledgement {
  readonly scope: IConstruct;
  readonly resource: string;
  readonly reason: string;
}

const wildcardAcknowledgements = new WeakMap<IConstruct, WildcardAcknowledgement[]>();

/**
 * Acknowledges one wildcard resource (for example `arn:...:bucket/incoming/*`) in the IAM policies
 * under `scope`: the acknowledgement names that resource exactly, as cdk-nag's finding does.
 *
 * The resource may be a cross-stack reference, which only takes its final form (the one cdk-nag
 * sees) once the app is synthesized; so the acknowledgement is written then, just before the
 * checks' findings are matched against acknowledgements (see LateAcknowledgements).
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const root = scope.node.root;
  const entries = wildcardAcknowledgements.get(root) ?? [];
  entries.push({ scope, resource, reason });
  wildcardAcknowledgements.set(root, entries);
}

/** Writes the acknowledgements of acknowledgeWildcardResource once references are resolved. */
class LateAcknowledgements implements IPolicyValidationPluginBeta1 {
  readonly name = 'LateAcknowledgements';

  constructor(private readonly root: IConstruct) {}

  validate(_context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    for (const { scope, resource, reason } of wildcardAcknowledgements.get(this.root) ?? []) {
      const finding = flattenCfnReference(Stack.of(scope).resolve(resource));
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
    }
    return { success: true, violations: [] };
  }
}

/**
 * The app's entry point: builds the app with `build`, checks it (applyComplianceChecks) and
 * synthesizes it, failing the process on any unacknowledged finding.
 *
 * The CDK CLI asks apps to leave validation reporting to it (`failSynthOnValidationErrors`
 * false), and then reports only on the stacks it selected: a bare `cdk synth` selects no stack
 * inside a Stage, writes cdk-nag's errors to `validation-report.json` and exits 0. Setting the
 * flag after the CLI's context makes the app fail with the report whatever the selection, so
 * `cdk synth`, `cdk synth '**'`, `cdk diff` and `cdk deploy` all stop on a finding.
 */
export function synthesizeCheckedApp(build: (app: App) => void): void {
  const app = new App({ autoSynth: false, postCliContext: { [FAIL_SYNTH_ON_VALIDATION_ERRORS]: true } });
  build(app);
  applyComplianceChecks(app);
  try {
    app.synth();
  } catch (error) {
    if (!(error instanceof Error) || !/Validation failed/.test(error.message)) throw error;
    // The findings are printed above; the stack trace of the throw would only hide them.
    console.error(
      `\nSynth failed: unacknowledged compliance findings (above). Fix each, or acknowledge it with a reason next to the code that creates it.\n${error.message}`,
    );
    process.exitCode = 1;
  }
}

const FAIL_SYNTH_ON_VALIDATION_ERRORS = '@aws-cdk/core:failSynthOnValidationErrors';

/**
 * Checks every stack of the app against the AWS Solutions and Serverless rule packs at synth.
 * A finding fails `cdk synth` unless it is acknowledged on the resource it concerns, with a
 * reason, next to the code that creates it (`Validations.of(construct).acknowledge(...)`).
 */
export function applyComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new LateAcknowledgements(app), new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/**
 * What every Fargate task definition of the platform acknowledges: plain environment variables
 * (names of tables and buckets, never secrets) and the execution role's registry login.
 */
export function acknowledgeContainerDefaults(taskDefinition: TaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason: 'The environment holds resource names and settings only; the platform has no secrets to inject.',
  });
  if (taskDefinition.executionRole !== undefined) {
    Validations.of(taskDefinition.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken, which pulling the image needs, supports no resource-level permissions.',
    });
  }
}
