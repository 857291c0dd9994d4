/**
 * Prices the synthesized cloud assembly (synth first: `npx cdk synth --quiet`):
 *   npm run cost                                       fixed monthly cost of every environment
 *   npm run cost -- --env prod --profile growth        per-flow monthly cost under a usage profile
 *                                                      (idle, startup, growth, high, or a file path)
 *   npm run cost -- --breakeven [--chart docs/breakeven.svg]
 *                                                      serverless-vs-containers break-even points
 *                                                      (default chart: docs/breakeven.svg for prod,
 *                                                      eu-west-1, growth; docs/breakeven-<env>-<region>-<profile>.svg
 *                                                      for any other run)
 *   options: --assembly cdk.out, --region eu-west-1|us-east-1, --out report.md
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAssemblyTemplates } from '../pr-diff/assembly';
import { parseCostArgs, runCost } from './command';

try {
  const options = parseCostArgs(process.argv.slice(2));
  const output = runCost(readAssemblyTemplates(options.assembly), options);
  for (const [file, content] of Object.entries(output.files)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  if (options.out !== undefined) fs.writeFileSync(options.out, `${output.text}\n`);
  process.stdout.write(`${output.text}\n`);
} catch (error) {
  process.stderr.write(`cost estimate failed: ${(error as Error).message}\nRun \`npx cdk synth --quiet\` first if cdk.out is missing.\n`);
  process.exit(2);
}
