/**
 * Reads the stack templates of a synthesized cloud assembly, including the
 * nested assemblies that CDK Stages produce (`assembly-dev/`, `assembly-prod/`...).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { Template, TemplateMap } from './summarize';

/** Raised when a directory is not a readable cloud assembly. */
export class AssemblyReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyReadError';
  }
}

/**
 * Every CloudFormation stack of the assembly in `directory` and of all its
 * nested (Stage) assemblies, keyed by the stack's hierarchical id, which is the
 * display id `cdk` prints (`dev/Stateful`; a top-level stack is just `Stateful`).
 * The hierarchical id follows the construct tree, not the CloudFormation stack
 * name, so a stack pairs with itself across revisions even if its name changes.
 */
export function readAssemblyTemplates(directory: string): TemplateMap {
  if (!fs.existsSync(path.join(directory, 'manifest.json'))) {
    throw new AssemblyReadError(`${directory} is not a cloud assembly (no manifest.json)`);
  }
  let assembly: CloudAssembly;
  try {
    // The base revision may have been synthesized by another CDK version.
    assembly = new CloudAssembly(directory, { skipVersionCheck: true, skipEnumCheck: true });
  } catch (err) {
    throw new AssemblyReadError(`cannot read cloud assembly ${directory}: ${(err as Error).message}`);
  }
  const templates: Record<string, Template> = {};
  for (const stack of assembly.stacksRecursively) {
    const id = stack.hierarchicalId;
    if (templates[id]) throw new AssemblyReadError(`two stacks share the id ${id} in ${directory}`);
    templates[id] = stack.template as Template;
  }
  return templates;
}

/** The display id of every CloudFormation stack name in the assembly (`prod-Jobs` → `prod/Jobs`). */
export function readAssemblyStackNames(directory: string): Record<string, string> {
  const assembly = new CloudAssembly(directory, { skipVersionCheck: true, skipEnumCheck: true });
  return Object.fromEntries(assembly.stacksRecursively.map((stack) => [stack.stackName, stack.hierarchicalId]));
}
