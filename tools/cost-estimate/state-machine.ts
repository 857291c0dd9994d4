/** Step Functions definitions read from synthesized templates, and the states an execution enters. */

export interface StateDefinition {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: ChoiceRule[];
  readonly Resource?: string;
  readonly Parameters?: unknown;
  readonly [key: string]: unknown;
}

export interface StateMachineDefinition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Record<string, StateDefinition>;
}

type ChoiceRule = Record<string, unknown> & { Variable?: string; Next?: string; And?: ChoiceRule[]; Or?: ChoiceRule[]; Not?: ChoiceRule };

/**
 * The definition of every state machine in the resources. A synthesized DefinitionString is an
 * Fn::Join of JSON text and tokens (ARNs, names) that sit inside JSON strings; the tokens are
 * replaced by a placeholder, which keeps the JSON valid and the structure intact.
 */
export function stateMachineDefinitions(
  resources: Record<string, { Type: string; Properties?: Record<string, any> }>,
): StateMachineDefinition[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map((resource) => {
      const definition = resource.Properties?.DefinitionString;
      const text =
        typeof definition === 'string'
          ? definition
          : Array.isArray(definition?.['Fn::Join']?.[1])
            ? (definition['Fn::Join'][1] as unknown[])
                .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
                .join(definition['Fn::Join'][0] ?? '')
            : JSON.stringify(resource.Properties?.Definition ?? {});
      return JSON.parse(text) as StateMachineDefinition;
    });
}

function valueAt(input: unknown, jsonPath: string): unknown {
  if (!jsonPath.startsWith('$')) return undefined;
  return jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((segment) => segment !== '')
    .reduce<unknown>(
      (value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined),
      input,
    );
}

function matches(rule: ChoiceRule, input: unknown): boolean {
  if (rule.And) return rule.And.every((inner) => matches(inner, input));
  if (rule.Or) return rule.Or.some((inner) => matches(inner, input));
  if (rule.Not) return !matches(rule.Not, input);
  const value = valueAt(input, rule.Variable ?? '');
  const compare: Record<string, (expected: unknown) => boolean> = {
    NumericEquals: (expected) => value === expected,
    NumericGreaterThan: (expected) => typeof value === 'number' && value > (expected as number),
    NumericGreaterThanEquals: (expected) => typeof value === 'number' && value >= (expected as number),
    NumericLessThan: (expected) => typeof value === 'number' && value < (expected as number),
    NumericLessThanEquals: (expected) => typeof value === 'number' && value <= (expected as number),
    StringEquals: (expected) => value === expected,
    BooleanEquals: (expected) => value === expected,
    IsPresent: (expected) => (value !== undefined) === expected,
  };
  const operator = Object.keys(compare).find((name) => name in rule);
  if (operator === undefined) throw new Error(`Choice rule not understood by the cost estimate: ${JSON.stringify(rule)}`);
  return compare[operator](rule[operator]);
}

/**
 * The state transitions Step Functions bills for one execution that succeeds at every Task, with
 * each Choice decided on `input`: every state entered counts once (retries would add more).
 */
export function countTransitions(definition: StateMachineDefinition, input: unknown): number {
  let name: string | undefined = definition.StartAt;
  let count = 0;
  const seen = new Set<string>();
  while (name !== undefined) {
    const state: StateDefinition | undefined = definition.States[name];
    if (state === undefined) throw new Error(`The definition has no state ${name}`);
    if (seen.has(name)) throw new Error(`The execution path loops through ${name}: the estimate needs a loop-free path`);
    seen.add(name);
    count += 1;
    if (state.Type === 'Choice') {
      name = (state.Choices ?? []).find((rule) => matches(rule, input))?.Next ?? state.Default;
    } else if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true) {
      name = undefined;
    } else {
      name = state.Next;
    }
  }
  return count;
}
