/**
 * Offline `cdk diff` for pull requests: synthesizes a base git revision and the
 * working tree (or takes two synthesized assemblies), diffs every stack of every
 * stage and fails when a stateful resource would be replaced or removed.
 *
 *   npm run diff:pr -- --base origin/main [--out summary.md] [--allow-stateful-replacement]
 *   npm run diff:pr -- --base-dir old.out --head-dir new.out
 *
 * Exit codes: 0 safe, 1 stateful replacement/removal, 2 usage or synth error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssemblyReadError, readAssemblyStackNames, readAssemblyTemplates } from './assembly';
import { summarize } from './summarize';
import type { TemplateMap } from './summarize';

const USAGE = `Usage: npm run diff:pr -- (--base <git-rev> | --base-dir <assembly>) [options]

  --base <rev>                   git revision to compare against (synthesized in a temporary worktree)
  --base-dir <dir>               already-synthesized cloud assembly for the base (skips base synth)
  --head-dir <dir>               already-synthesized cloud assembly for the head
                                 (default: synthesize the working tree)
  --out <file>                   also write the Markdown summary to <file>
  --allow-stateful-replacement   report stateful replacements/removals as a warning, exit 0
  -h, --help                     show this help

Exit codes: 0 no blocking change, 1 stateful resource replaced or removed, 2 usage or synth error.`;

/** Raised for bad arguments or a failed git/synth step: exit code 2. */
class UsageError extends Error {
  /** @param showUsage print the usage text after the message (bad arguments) */
  constructor(message: string, readonly showUsage = false) {
    super(message);
    this.name = 'UsageError';
  }
}

interface CliOptions {
  base?: string;
  baseDir?: string;
  headDir?: string;
  out?: string;
  allowStatefulReplacement: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { allowStatefulReplacement: false, help: false };
  const valued: Record<string, keyof CliOptions> = {
    '--base': 'base',
    '--base-dir': 'baseDir',
    '--head-dir': 'headDir',
    '--out': 'out',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--allow-stateful-replacement') options.allowStatefulReplacement = true;
    else if (flag === '-h' || flag === '--help') options.help = true;
    else if (flag in valued) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
        throw new UsageError(`${flag} needs a value`, true);
      }
      (options as unknown as Record<string, string>)[valued[flag]] = value;
    } else throw new UsageError(`unknown argument: ${arg}`, true);
  }
  if (!options.help && !options.base && !options.baseDir) throw new UsageError('give --base <git-rev> or --base-dir <assembly>', true);
  if (options.base && options.baseDir) throw new UsageError('give either --base or --base-dir, not both', true);
  return options;
}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new UsageError(`git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/**
 * Synthesize the CDK app in `projectDir` into `outDir` with the CDK CLI.
 * No lookups (they would need AWS credentials: commit them in cdk.context.json),
 * no notices or telemetry (no network), no CDK::Metadata (it changes on every edit).
 */
function synth(projectDir: string, outDir: string, label: string): void {
  process.stderr.write(`pr-diff: synthesizing ${label} into ${outDir}\n`);
  const result = spawnSync(
    'npx',
    ['--no-install', 'cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--no-lookups', '--no-staging', '-o', outDir],
    // The CLI's stdout goes to our stderr: our stdout is the Markdown summary only.
    { cwd: projectDir, stdio: ['ignore', 2, 'inherit'], env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } },
  );
  if (result.error) throw new UsageError(`cannot run the CDK CLI for ${label}: ${result.error.message}`);
  if (result.status !== 0) throw new UsageError(`cdk synth of ${label} failed (exit ${result.status}); see the output above`);
}

/** Check out `rev` into a temporary worktree, synthesize it, always remove the worktree. */
function synthBase(repoRoot: string, rev: string, outDir: string, notes: string[]): TemplateMap {
  const resolved = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repoRoot, encoding: 'utf8' });
  if (resolved.status !== 0) {
    throw new UsageError(`unknown git revision '${rev}' (in CI, check out with fetch-depth: 0 so the base branch exists)`);
  }
  const commit = resolved.stdout.trim();
  const worktree = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-diff-base-'));
  git(repoRoot, ['worktree', 'add', '--detach', worktree, commit]);
  try {
    if (!fs.existsSync(path.join(worktree, 'cdk.json'))) {
      notes.push(`Base revision \`${rev}\` has no cdk.json: every stack is shown as new.`);
      return {};
    }
    const lockChanged =
      spawnSync('git', ['diff', '--quiet', commit, '--', 'package-lock.json'], { cwd: repoRoot }).status !== 0;
    if (!lockChanged && fs.existsSync(path.join(repoRoot, 'node_modules'))) {
      // Same lock file: the installed dependencies are exactly the base's.
      fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(worktree, 'node_modules'), 'dir');
    } else {
      process.stderr.write('pr-diff: package-lock.json differs from the base: running npm ci for the base\n');
      const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: worktree, stdio: ['ignore', 2, 'inherit'] });
      if (ci.status !== 0) throw new UsageError(`npm ci for base ${rev} failed (exit ${ci.status})`);
    }
    synth(worktree, outDir, `base ${rev}`);
    return readAssemblyTemplates(outDir);
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: repoRoot });
    fs.rmSync(worktree, { recursive: true, force: true });
  }
}

export function main(argv: readonly string[]): number {
  let options: CliOptions;
  const scratch: string[] = [];
  try {
    options = parseArgs(argv);
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const notes: string[] = [];
    const repoRoot = options.base || !options.headDir ? git(process.cwd(), ['rev-parse', '--show-toplevel']) : process.cwd();
    const tempOut = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-diff-out-'));
      scratch.push(dir);
      return dir;
    };

    const base = options.baseDir ? readAssemblyTemplates(options.baseDir) : synthBase(repoRoot, options.base!, tempOut(), notes);
    let headDir: string;
    if (options.headDir) headDir = options.headDir;
    else {
      headDir = tempOut();
      synth(repoRoot, headDir, 'working tree');
    }
    const head: TemplateMap = readAssemblyTemplates(headDir);

    const result = summarize(base, head, {
      allowStatefulReplacement: options.allowStatefulReplacement,
      baseLabel: options.base ?? options.baseDir,
      headLabel: options.headDir ?? 'working tree',
      notes,
      stackNames: readAssemblyStackNames(headDir),
    });
    process.stdout.write(result.markdown);
    if (options.out) fs.writeFileSync(options.out, result.markdown);
    return result.exitCode;
  } catch (err) {
    if (err instanceof UsageError || err instanceof AssemblyReadError) {
      process.stderr.write(`pr-diff: error: ${err.message}\n`);
      if (err instanceof UsageError && err.showUsage) process.stderr.write(`\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`pr-diff: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  } finally {
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
