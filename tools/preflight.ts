/**
 * Refuses to deploy an environment whose settings in lib/config.ts still hold the project's
 * example values, before the CDK CLI is started (so before any asset is published or CloudFormation
 * is called). `npm run deploy:<env>` and .github/workflows/deploy.yml run it first:
 *
 *   npx tsx tools/preflight.ts prod
 *
 * Exit codes: 0 deployable, 1 placeholders remain (each setting named), 2 unknown environment.
 */
import { ENVIRONMENT_NAMES, ENVIRONMENTS, placeholderSettings, type EnvironmentName } from '../lib/config';

export function preflight(args: readonly string[]): { code: 0 | 1 | 2; message: string } {
  const [name] = args;
  if (name === undefined || !(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
    return { code: 2, message: `usage: preflight <${ENVIRONMENT_NAMES.join('|')}> (got ${name ?? 'nothing'})` };
  }
  const settings = placeholderSettings(ENVIRONMENTS[name as EnvironmentName]);
  if (settings.length === 0) return { code: 0, message: `${name}: no placeholder settings; ready to deploy` };
  return {
    code: 1,
    message: [
      `${name} cannot be deployed: replace these example values in lib/config.ts first.`,
      ...settings.map(({ setting, problem }) => `  - ${setting}: ${problem}`),
    ].join('\n'),
  };
}

if (require.main === module) {
  const { code, message } = preflight(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  process.exitCode = code;
}
