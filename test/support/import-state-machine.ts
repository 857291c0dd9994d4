import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import type { Context } from 'aws-lambda';
import type { JobsStack } from '../../lib/jobs-stack';
import { templateOf } from './synth';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type LocalTaskHandler = (input: Json) => Promise<Json>;

const HANDLERS_DIR = path.join(__dirname, '..', '..', 'lambda', 'handlers');
const FAKE_ARN_PREFIX = 'arn:aws:lambda:eu-west-1:111111111111:function:';

/**
 * The import state machine exactly as the CDK app synthesizes it, ready to run locally: the
 * DefinitionString of the stack's one AWS::StepFunctions::StateMachine with each Lambda ARN
 * resolved to a placeholder named after the function's logical ID, and, for each Task state,
 * the real handler module of the function its Resource names.
 */
export function importStateMachine(stack: JobsStack, context: () => Context): {
  definition: { StartAt: string; States: Record<string, { Type: string; Resource?: string }> };
  taskHandlers: Record<string, LocalTaskHandler>;
} {
  const template = templateOf(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const machines = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`Expected one state machine in ${stack.stackName}, found ${machines.length}`);
  const definitionString = machines[0].Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const parts = typeof definitionString === 'string' ? [definitionString] : definitionString['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt === undefined || getAtt[1] !== 'Arn') throw new Error(`Unexpected token in the definition: ${JSON.stringify(part)}`);
      return `${FAKE_ARN_PREFIX}${getAtt[0]}`;
    })
    .join('');
  const definition = JSON.parse(text) as ReturnType<typeof importStateMachine>['definition'];

  const handlerFileByArn = new Map(
    Object.values(stack.importPipeline.functions).map((appFunction) => [
      `${FAKE_ARN_PREFIX}${stack.getLogicalId(appFunction.fn.node.defaultChild as CfnElement)}`,
      appFunction.handlerFile,
    ]),
  );
  const taskHandlers: Record<string, LocalTaskHandler> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const handlerFile = handlerFileByArn.get(state.Resource ?? '');
    if (handlerFile === undefined) throw new Error(`Task ${stateName} invokes ${state.Resource}, which is not a function of the import pipeline`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(path.join(HANDLERS_DIR, handlerFile.replace(/\.ts$/, ''))) as { handler: (event: unknown, context: Context) => Promise<Json> };
    taskHandlers[stateName] = (input) => module.handler(input, context());
  }
  return { definition, taskHandlers };
}
