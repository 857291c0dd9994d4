import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/**
 * Checks every stack of the app against the AWS Solutions and Serverless rule packs at synth.
 * A finding fails `cdk synth` unless it is acknowledged on the resource it concerns, with a
 * reason, next to the code that creates it (`Validations.of(construct).acknowledge(...)`).
 */
export function applyComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
