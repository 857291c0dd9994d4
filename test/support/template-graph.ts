/**
 * A read-only view of one environment's synthesized templates, with the reference resolution
 * the app-wide policies need: `Ref`, `Fn::GetAtt` and cross-stack `Fn::GetStackOutput` /
 * `Fn::ImportValue` are followed back to the logical ID and stack of the resource they name.
 * Pure functions over plain template JSON, so tests can feed them hand-made fragments.
 */

import { referenceTarget } from '../../tools/pr-diff/intrinsics';

/** One resource of a CloudFormation template, as synthesized. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name?: unknown } }>;
}

/** The templates of one environment, keyed by CloudFormation stack name (for example `dev-Stateful`). */
export type AppTemplates = Readonly<Record<string, CfnTemplate>>;

/** Where a resource lives: the stack name and its logical ID there. */
export interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
}

/** A resource with its address. */
export interface ResourceEntry extends ResourceRef {
  readonly resource: CfnResource;
}

/** `stack/LogicalId`, the form every policy message uses. */
export function describeRef(ref: ResourceRef): string {
  return `${ref.stack}/${ref.logicalId}`;
}

/** Every resource of `type` in every stack of the environment. */
export function resourcesOfType(app: AppTemplates, type: string): ResourceEntry[] {
  return Object.entries(app).flatMap(([stack, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
}

/** The resource at `ref`, or undefined when there is none. */
export function resourceAt(app: AppTemplates, ref: ResourceRef): ResourceEntry | undefined {
  const resource = app[ref.stack]?.Resources?.[ref.logicalId];
  return resource === undefined ? undefined : { ...ref, resource };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The single intrinsic function of `value` (`{ "Ref": ... }`), if it is one. */
function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isRecord(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')) ? [keys[0], value[keys[0]]] : undefined;
}

/**
 * The resource that `value` names, seen from `fromStack`: a `Ref`, a `Fn::GetAtt` (array or
 * `Id.Attr` form), a `Fn::GetStackOutput` of a stack in `app` (its OutputName mapped back through
 * the producing stack's Outputs), or a `Fn::ImportValue` of an export in `app`. Undefined for
 * anything else (literal ARNs, pseudo parameters, joins), and for names that lead nowhere.
 */
export function resolveReference(app: AppTemplates, fromStack: string, value: unknown): ResourceEntry | undefined {
  const fn = intrinsic(value);
  if (fn === undefined) return undefined;
  const [name, arg] = fn;
  if (name === 'Ref' || name === 'Fn::GetAtt') {
    const target = referenceTarget(name, arg);
    return target === undefined ? undefined : resourceAt(app, { stack: fromStack, logicalId: target.logicalId });
  }
  if (name === 'Fn::GetStackOutput' && isRecord(arg) && typeof arg.StackName === 'string' && typeof arg.OutputName === 'string') {
    const output = app[arg.StackName]?.Outputs?.[arg.OutputName];
    return output === undefined ? undefined : resolveReference(app, arg.StackName, output.Value);
  }
  if (name === 'Fn::ImportValue' && typeof arg === 'string') {
    for (const [stack, template] of Object.entries(app)) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name === arg) return resolveReference(app, stack, output.Value);
      }
    }
  }
  return undefined;
}

/** Whether two addresses name the same resource. */
export function sameResource(a: ResourceRef | undefined, b: ResourceRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.stack === b.stack && a.logicalId === b.logicalId;
}

/** `value` as a list: CloudFormation accepts a single item where it takes a list. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The property at `path` (`['Target', 'DeadLetterConfig', 'Arn']`), or undefined. */
export function propertyAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * The Lambda function that a function, alias or version reference ends at, with the alias name
 * the reference invokes: `$LATEST` for the function itself, the alias name for an alias, undefined
 * for a version (its number is only known at deploy time). Async invoke configs are per qualifier.
 */
export function resolveFunction(
  app: AppTemplates,
  fromStack: string,
  value: unknown,
): { readonly fn: ResourceEntry; readonly qualifier: string | undefined } | undefined {
  const target = resolveReference(app, fromStack, value);
  if (target === undefined) return undefined;
  if (target.resource.Type === 'AWS::Lambda::Function') return { fn: target, qualifier: '$LATEST' };
  if (target.resource.Type === 'AWS::Lambda::Alias' || target.resource.Type === 'AWS::Lambda::Version') {
    const behind = resolveFunction(app, target.stack, target.resource.Properties?.FunctionName);
    if (behind === undefined) return undefined;
    const aliasName = target.resource.Properties?.Name;
    if (target.resource.Type === 'AWS::Lambda::Version') return { fn: behind.fn, qualifier: undefined };
    return { fn: behind.fn, qualifier: typeof aliasName === 'string' ? aliasName : undefined };
  }
  return undefined;
}
