import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type AppProps, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { AppStage } from '../../lib/app-stage';
import type { SynthesizedStack, SynthesizedStage } from './shared-synthesis';

/** The feature flags of cdk.json: tests synthesize with the same flags as `cdk synth`. */
const FEATURE_FLAGS = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface TestAppProps extends AppProps {
  /** Bundle handlers with esbuild, as `cdk synth` does. @default false */
  readonly bundle?: boolean;
  /**
   * Run the CDK's built-in CloudFormation validation at synth, as `cdk synth` does. Its engine (a
   * WebAssembly module) takes about two seconds of CPU to start in every process, so only the
   * compliance test, which checks its findings, turns it on. @default false
   */
  readonly validate?: boolean;
}

/** An App as the CLI would make it, without bundling unless `bundle` is set and without the built-in validation unless `validate` is. */
export function testApp(props: TestAppProps = {}): App {
  const { bundle, validate, ...appProps } = props;
  return new App({
    builtinCloudFormationValidation: validate ?? false,
    ...appProps,
    context: { ...FEATURE_FLAGS, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...appProps.context },
  });
}

/** Every stack of a stage, in the order the stage creates them. */
export function stacksOf(stage: AppStage): Stack[];
export function stacksOf(stage: SynthesizedStage): readonly SynthesizedStack[];
export function stacksOf(stage: AppStage | SynthesizedStage): readonly (Stack | SynthesizedStack)[] {
  if ('stacks' in stage) return stage.stacks;
  return stage.node.children.filter((child): child is Stack => (child as Stack).templateOptions !== undefined);
}

const templates = new WeakMap<Stack, Template>();

/** The stack's template, computed once. */
export function templateOf(stack: Stack | SynthesizedStack): Template {
  if ('logicalIdAt' in stack) return stack.template;
  let template = templates.get(stack);
  if (template === undefined) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  return template;
}
