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
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
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
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
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
 * The project's own CDK CLI: its installed `node_modules/.bin/cdk` (the one `npx --no-install cdk`
 * would find there, without npx's lookup, about 0.8 s of CPU a run), else `npx --no-install cdk`.
 */
export function cdkCommand(projectDir: string): string[] {
  const installed = path.join(projectDir, 'node_modules', '.bin', 'cdk');
  return fs.existsSync(installed) ? [installed] : ['npx', '--no-install', 'cdk'];
}

/**
 * Synthesize the CDK app in `projectDir` into `outDir` with the CDK CLI.
 * No lookups (they would need AWS credentials: commit them in cdk.context.json),
 * no notices or telemetry (no network), no CDK::Metadata (it changes on every edit).
 * `--no-validation`: the CLI's own validation pass about doubles a synth's CPU and changes no
 * template; cdk-nag's gate is the app's own and still fails the synth (test/infra/synth-gate.test.ts).
 */
function synth(projectDir: string, outDir: string, label: string): void {
  process.stderr.write(`pr-diff: synthesizing ${label} into ${outDir}\n`);
  const [command, ...cli] = cdkCommand(projectDir);
  const result = spawnSync(
    command,
    [...cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--no-lookups', '--no-staging', '--no-validation', '-o', outDir],
    // The CLI's stdout goes to our stderr: our stdout is the Markdown summary only.
    { cwd: projectDir, stdio: ['ignore', 2, 'inherit'], env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } },
  );
  if (result.error) throw new UsageError(`cannot run the CDK CLI for ${label}: ${result.error.message}`);
  if (result.status !== 0) throw new UsageError(`cdk synth of ${label} failed (exit ${result.status}); see the output above`);
}

/**
 * Where both sides are synthesized. NodejsFunction's bundling options hold absolute paths (the
 * project root, the entry, the lock file) and the CDK mixes them into every asset hash, custom
 * hashes included; with `--no-staging` the `aws:asset:path` metadata also names the output
 * directory. So the base and the working tree are synthesized from the same source directory into
 * the same output directory, one after the other: the same code gets the same asset hash, and a
 * changed handler (a changed source fingerprint) still shows as a changed `Code`.
 */
interface SynthPlace {
  /** The project is checked out or copied here (absent between the two synths). */
  readonly source: string;
  /** `cdk synth -o` writes here; each side's assembly is then moved aside. */
  readonly output: string;
  readonly root: string;
}

function synthPlace(scratchRoot: string): SynthPlace {
  return { root: scratchRoot, source: path.join(scratchRoot, 'src'), output: path.join(scratchRoot, 'cdk.out') };
}

/** Synthesize the project in `place.source`, move the assembly to `<root>/<side>.out` and return that path. */
function synthInPlace(place: SynthPlace, side: 'base' | 'head', label: string): string {
  synth(place.source, place.output, label);
  const kept = path.join(place.root, `${side}.out`);
  fs.renameSync(place.output, kept);
  return kept;
}

/** Make `project/node_modules` the working tree's installed dependencies. */
function linkNodeModules(repoRoot: string, project: string): void {
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(project, 'node_modules'), 'dir');
}

/** Check out `rev` into `place.source`, synthesize it, always remove the worktree. */
function synthBase(repoRoot: string, rev: string, place: SynthPlace, notes: string[]): TemplateMap {
  const resolved = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repoRoot, encoding: 'utf8' });
  if (resolved.status !== 0) {
    throw new UsageError(`unknown git revision '${rev}' (in CI, check out with fetch-depth: 0 so the base branch exists)`);
  }
  const commit = resolved.stdout.trim();
  const worktree = place.source;
  git(repoRoot, ['worktree', 'add', '--detach', worktree, commit]);
  try {
    if (!fs.existsSync(path.join(worktree, 'cdk.json'))) {
      notes.push(`Base revision \`${rev}\` has no cdk.json: every stack is shown as new.`);
      return {};
    }
    const lockChanged = spawnSync('git', ['diff', '--quiet', commit, '--', 'package-lock.json'], { cwd: repoRoot }).status !== 0;
    if (!lockChanged && fs.existsSync(path.join(repoRoot, 'node_modules'))) {
      // Same lock file: the installed dependencies are exactly the base's.
      linkNodeModules(repoRoot, worktree);
    } else {
      process.stderr.write('pr-diff: package-lock.json differs from the base: running npm ci for the base\n');
      const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: worktree, stdio: ['ignore', 2, 'inherit'] });
      if (ci.status !== 0) throw new UsageError(`npm ci for base ${rev} failed (exit ${ci.status})`);
    }
    return readAssemblyTemplates(synthInPlace(place, 'base', `base ${rev}`));
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', worktree], { cwd: repoRoot });
    fs.rmSync(worktree, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune'], { cwd: repoRoot });
  }
}

/**
 * Copy the working tree as git sees it (tracked files as they are on disk, plus untracked files
 * that are not ignored) into `destination`, which must not exist. Tracked files deleted on disk
 * are left out, as they are from the working tree.
 */
export function copyWorkingTree(repoRoot: string, destination: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' });
  fs.mkdirSync(destination);
  for (const relative of new Set(listed.split('\0').filter((entry) => entry !== ''))) {
    const from = path.join(repoRoot, relative);
    const to = path.join(destination, relative);
    let stats: fs.Stats;
    try {
      stats = fs.lstatSync(from);
    } catch {
      continue; // deleted in the working tree
    }
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (stats.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else if (stats.isDirectory())
      fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true }); // a submodule
    else {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, stats.mode & 0o777);
    }
  }
}

/** Copy the working tree into `place.source` and synthesize it there. */
function synthHead(repoRoot: string, place: SynthPlace): string {
  copyWorkingTree(repoRoot, place.source);
  try {
    linkNodeModules(repoRoot, place.source);
    return synthInPlace(place, 'head', 'working tree');
  } finally {
    fs.rmSync(place.source, { recursive: true, force: true });
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
    const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-diff-'));
    scratch.push(scratchRoot);
    const place = synthPlace(scratchRoot);

    const base = options.baseDir ? readAssemblyTemplates(options.baseDir) : synthBase(repoRoot, options.base!, place, notes);
    const headDir = options.headDir ?? synthHead(repoRoot, place);
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
