/**
 * Reading CloudFormation intrinsics in synthesized templates: the PR diff's stale-consumer check
 * and the tests' cross-stack policy (test/support/policies.ts) walk templates the same way.
 */

/** Every intrinsic object named in `names` (`{ "Ref": ... }`, `{ "Fn::GetAtt": ... }`, ...) inside `value`, at any depth. */
export function intrinsicsIn(value: unknown, names: readonly string[]): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap((item) => intrinsicsIn(item, names));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const own: Array<[string, unknown]> = keys.length === 1 && names.includes(keys[0]) ? [[keys[0], record[keys[0]]]] : [];
  return [...own, ...Object.values(record).flatMap((item) => intrinsicsIn(item, names))];
}

/** What a `Ref` or `Fn::GetAtt` (`[id, attribute]` or `"id.attribute"`) names: the logical ID, and `Ref` or the attribute. */
export function referenceTarget(name: string, arg: unknown): { logicalId: string; attribute: string } | undefined {
  if (name === 'Ref') return typeof arg === 'string' ? { logicalId: arg, attribute: 'Ref' } : undefined;
  const [logicalId, ...attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split('.') : [];
  return typeof logicalId === 'string' ? { logicalId, attribute: attribute.join('.') } : undefined;
}

/** The references (`Ref`, `Fn::GetAtt`) inside `value`, with their targets. */
export function referencesIn(value: unknown): Array<{ logicalId: string; attribute: string }> {
  return intrinsicsIn(value, ['Ref', 'Fn::GetAtt']).flatMap(([name, arg]) => {
    const target = referenceTarget(name, arg);
    return target === undefined ? [] : [target];
  });
}
