import { CfnRule, Fn, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib';
import { placeholderSettings, type EnvironmentConfig } from './config';

/** The logical ID of the rule, in every stack of an environment that still has placeholders. */
export const PLACEHOLDER_RULE_ID = 'PlaceholderSettings';

/**
 * Makes CloudFormation refuse every stack of an environment whose settings still hold the
 * project's example values: a template rule whose assertion cannot hold, one per setting, with
 * the setting to change as its description. CloudFormation evaluates rules when it creates the
 * change set, before it touches any resource, so even a `cdk deploy` that skips the preflight
 * (`npm run deploy:<env>` and the deploy workflow run tools/preflight.ts first) stops there.
 * Synth and tests are unaffected: the rule is only evaluated by CloudFormation.
 */
export function guardPlaceholders(stage: Stage, config: EnvironmentConfig): void {
  const settings = placeholderSettings(config);
  if (settings.length === 0) return;
  for (const stack of stage.node.children.filter((child): child is Stack => Stack.isStack(child))) {
    new CfnRule(stack, PLACEHOLDER_RULE_ID, {
      assertions: settings.map(({ setting, problem }) => ({
        // Always false: this environment is not deployable until the setting is replaced.
        assert: Fn.conditionEquals('placeholder', 'replaced'),
        assertDescription: `Replace ${setting} in lib/config.ts before deploying ${config.envName}: ${problem}.`,
      })),
    });
  }
}
