import type { AssemblyStack } from './assembly';

export interface TypeClassification {
  readonly emulated: Array<{ type: string; count: number }>;
  readonly inert: Array<{ type: string; count: number; why: string }>;
  readonly unsupported: Array<{ type: string; where: string[] }>;
}

/**
 * Sorts the resource types of the assembly into emulated, deliberately inert (listed as "not
 * emulated" with the reason) and unsupported (an error unless the operator opts out): nothing is
 * skipped silently.
 */
export function classifyResourceTypes(
  stacks: AssemblyStack[],
  emulated: readonly string[],
  inert: Record<string, string>,
): TypeClassification {
  const counts = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      counts.set(resource.Type, [...(counts.get(resource.Type) ?? []), `${stack.stackName}/${logicalId}`]);
    }
  }
  const result: {
    emulated: TypeClassification['emulated'];
    inert: TypeClassification['inert'];
    unsupported: TypeClassification['unsupported'];
  } = { emulated: [], inert: [], unsupported: [] };
  for (const [type, where] of [...counts].sort(([left], [right]) => left.localeCompare(right))) {
    if (emulated.includes(type)) result.emulated.push({ type, count: where.length });
    else if (inert[type] !== undefined) result.inert.push({ type, count: where.length, why: inert[type] });
    else result.unsupported.push({ type, where });
  }
  return result;
}
