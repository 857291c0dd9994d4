/**
 * Prints the estimated monthly cost of every environment in a synthesized cloud assembly:
 *   npx cdk synth --quiet && npm run cost            (reads cdk.out)
 *   npm run cost -- --assembly path/to/cdk.out --out cost.md
 */
import * as fs from 'node:fs';
import { readAssemblyTemplates } from '../pr-diff/assembly';
import { estimateEnvironments, toMarkdown } from './estimate';
import { PRICES_AS_OF } from './prices';

function option(name: string, fallback?: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

try {
  const assembly = option('--assembly', 'cdk.out') as string;
  const markdown = toMarkdown(estimateEnvironments(readAssemblyTemplates(assembly)), PRICES_AS_OF);
  const out = option('--out');
  if (out !== undefined) fs.writeFileSync(out, `${markdown}\n`);
  process.stdout.write(`${markdown}\n`);
} catch (error) {
  process.stderr.write(`cost estimate failed: ${(error as Error).message}\nRun \`npx cdk synth --quiet\` first.\n`);
  process.exit(2);
}
