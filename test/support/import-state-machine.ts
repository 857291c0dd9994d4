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
 * resolved to a placeholder named after the function's logical ID (other references: the
 * partition to `aws`, another stack's output to `<output name>`), and, for each Task state, the
 * real handler module of the function its Resource names. A Task that invokes no function (the
 * Fargate import job) runs the handler `otherTasks` gives for its state name.
 */
export function importStateMachine(
  stack: JobsStack,
  context: () => Context,
  otherTasks: Record<string, LocalTaskHandler> = {},
): {
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
      const token = part as { 'Fn::GetAtt'?: [string, string]; Ref?: string; 'Fn::GetStackOutput'?: { OutputName: string } };
      const getAtt = token['Fn::GetAtt'];
      if (getAtt !== undefined && getAtt[1] === 'Arn') return `${FAKE_ARN_PREFIX}${getAtt[0]}`;
      if (token.Ref === 'AWS::Partition') return 'aws';
      if (token['Fn::GetStackOutput'] !== undefined) return `<${token['Fn::GetStackOutput'].OutputName}>`;
      throw new Error(`Unexpected token in the definition: ${JSON.stringify(part)}`);
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
    if (otherTasks[stateName] !== undefined) {
      taskHandlers[stateName] = otherTasks[stateName];
      continue;
    }
    const handlerFile = handlerFileByArn.get(state.Resource ?? '');
    if (handlerFile === undefined) {
      throw new Error(
        `Task ${stateName} invokes ${state.Resource}, which is not a function of the import pipeline; give it a local handler`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(path.join(HANDLERS_DIR, handlerFile.replace(/\.ts$/, ''))) as {
      handler: (event: unknown, context: Context) => Promise<Json>;
    };
    taskHandlers[stateName] = (input) => module.handler(input, context());
  }
  return { definition, taskHandlers };
}
