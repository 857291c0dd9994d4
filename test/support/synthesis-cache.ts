/**
 * Where the infra tests' shared synthesis lives, and how a test file gets it: one synthesis of the
 * whole app per source state, cached in the system's temporary folder (never in the repository)
 * and shared by every test file of a jest run and by later runs while the sources hold.
 *
 * The jest globalSetup of the infra project (infra-global-setup.ts) starts the build in the
 * background; a test file waits for it (sharedSynthesis), or builds it itself when nobody is. The
 * build (shared-synthesis-build.ts) holds a lock folder while it runs and renames its output into
 * place, so concurrent workers never read a half-written synthesis. No import of aws-cdk-lib here:
 * the global setup and the waiting stay cheap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sourceHash } from './source-hash';

const PROJECT = path.join(__dirname, '..', '..');
const BUILDER = path.join(__dirname, 'shared-synthesis-build.ts');

/**
 * Everything the synthesis is made from: a change to any of these makes a new synthesis. The
 * handlers and the worker count because asset hashes fingerprint them; the versions of aws-cdk-lib
 * and cdk-nag as installed, in case node_modules differs from the lock file.
 */
const SOURCES = [
  'lib',
  'bin',
  'lambda',
  'containers',
  'cdk.json',
  'package-lock.json',
  'tsconfig.json',
  'test/support/synth.ts',
  'test/support/synthesis-cache.ts',
  'test/support/shared-synthesis-build.ts',
  'node_modules/aws-cdk-lib/package.json',
  'node_modules/cdk-nag/package.json',
  // Handlers' asset hashes include the esbuild version (lib/constructs/source-fingerprint.ts).
  'node_modules/esbuild/package.json',
];

/**
 * Configurations the tests need beside the app as shipped, synthesized with it (no cdk-nag, no
 * validation) into `variants/<name>` of the synthesis folder: one environment each, in its
 * `assembly-<environment>` folder. The builder makes each from the shipped configuration.
 */
export const SYNTHESIS_VARIANTS = {
  /** dev with `containers.exportServiceEnabled: false` (the cost tool's idle dev). */
  'dev-without-export-service': { environment: 'dev', exportServiceEnabled: false },
} as const;
export type SynthesisVariant = keyof typeof SYNTHESIS_VARIANTS;

/** In the synthesis folder: the error that synth threw after writing the assembly (validation findings). */
export const COMPLIANCE_SYNTH_ERROR_FILE = 'compliance-synth-error.txt';

/** What a failed build writes next to the folder it could not make. */
export interface SynthesisFailure {
  /** The jest run whose build failed: other files of that run fail with the same text. */
  readonly runId: string;
  readonly text: string;
}

/** Set by the global setup for the workers of one jest run. */
const RUN_ID_VARIABLE = 'INFRA_SHARED_SYNTHESIS_RUN';

/** How long a test file waits for another process's build before giving up. */
const WAIT_LIMIT_MS = 10 * 60_000;

/** The synthesis folder of the current sources; one name prefix per checkout (paths end up in metadata). */
export function sharedSynthesisDirectory(): string {
  const checkout = createHash('sha256').update(PROJECT).digest('hex').slice(0, 8);
  return path.join(os.tmpdir(), `infra-synthesis-${checkout}-${sourceHash(SOURCES, [process.version])}`);
}

export function takeLock(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  holdLock(lock);
  return true;
}

/** Records this process as the holder of a lock it took or was handed. */
export function holdLock(lock: string): void {
  fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
}

export function releaseLock(lock: string): void {
  fs.rmSync(lock, { recursive: true, force: true });
}

function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` still runs (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a live process holds the lock. A lock whose process died (a killed run) is removed. */
export function lockHeld(lock: string): boolean {
  const pid = lockHolder(lock);
  if (pid !== undefined) {
    if (isAlive(pid)) return true;
  } else {
    // No pid file: no lock, or one taken a moment ago whose pid is being written.
    let age: number;
    try {
      age = Date.now() - fs.statSync(lock).mtimeMs;
    } catch {
      return false;
    }
    if (age < 30_000) return true;
  }
  releaseLock(lock);
  return false;
}

function builderCommand(directory: string, runId: string, lockTaken = false): [string, string[]] {
  // tsx as a loader in one process: no type checking (tsc does that), no second process.
  return [process.execPath, ['--import', 'tsx', BUILDER, directory, runId, ...(lockTaken ? ['--lock-taken'] : [])]];
}

/**
 * The jest run's global setup: names the run (its test files share one build's failure) and, with
 * `inBackground`, starts building the synthesis unless it is cached.
 */
export function startSharedSynthesis(options: { inBackground: boolean }): void {
  const runId = `${process.pid}-${Date.now()}`;
  process.env[RUN_ID_VARIABLE] = runId;
  if (!options.inBackground) return;
  const directory = sharedSynthesisDirectory();
  if (fs.existsSync(path.join(directory, 'manifest.json'))) return;
  // The lock is taken here, before the builder starts, so that no test file starts a second build
  // meanwhile; the builder then records itself as its holder.
  const lock = `${directory}.lock`;
  if (!takeLock(lock)) return;
  const [command, args] = builderCommand(directory, runId, true);
  // Its errors reach the tests through the error file; it may outlive a short jest run, which is fine.
  const builder = spawn(command, args, { cwd: PROJECT, stdio: 'ignore' });
  // A builder that died before releasing the lock (it could not even start) must not leave the
  // test files waiting: they then build it themselves and report the error.
  const releaseIfStillOurs = () => {
    const holder = lockHolder(lock);
    if (holder === process.pid || holder === builder.pid) releaseLock(lock);
  };
  builder.on('exit', releaseIfStillOurs);
  builder.on('error', releaseIfStillOurs);
  builder.unref();
}

function readFailure(file: string): SynthesisFailure | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SynthesisFailure;
  } catch {
    return undefined;
  }
}

function sleep(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/**
 * The folder of the shared synthesis (a cloud assembly, plus validation-report.json), once it is
 * complete: cached, built by another process meanwhile, or built here. A failed build throws its
 * error text; nothing waits forever.
 */
export function sharedSynthesis(): string {
  const directory = sharedSynthesisDirectory();
  const lock = `${directory}.lock`;
  const runId = process.env[RUN_ID_VARIABLE] ?? `file-${process.pid}`;
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (let builds = 0; ;) {
    if (fs.existsSync(path.join(directory, 'manifest.json'))) return directory;
    const failure = readFailure(`${directory}.error`);
    if (failure?.runId === runId) throw new Error(`Synthesizing the app for the infra tests failed:\n${failure.text}`);
    if (lockHeld(lock)) {
      if (Date.now() > deadline) throw new Error(`Gave up waiting for the shared synthesis: ${lock} is still held`);
      sleep(100);
      continue;
    }
    if (builds++ === 2) throw new Error(`The shared synthesis did not appear in ${directory}`);
    const [command, args] = builderCommand(directory, runId);
    const result = spawnSync(command, args, {
      cwd: PROJECT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      throw new Error(`Synthesizing the app for the infra tests failed:\n${result.stderr || String(result.error ?? result.signal)}`);
    }
  }
}

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/**
 * One stack's template from the shared synthesis (`dev`, `Stateful` for dev/Stateful), read as
 * JSON without loading aws-cdk-lib: the integration tests create their tables from it exactly as
 * the app declares them, without synthesizing a stack of their own.
 */
export function sharedStackTemplate(environment: string, stackId: string): TemplateJson {
  const directory = path.join(sharedSynthesis(), `assembly-${environment}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; displayName?: string; properties?: { templateFile?: string } }>;
  };
  const artifact = Object.values(manifest.artifacts).find(
    (candidate) => candidate.type === 'aws:cloudformation:stack' && candidate.displayName === `${environment}/${stackId}`,
  );
  if (artifact?.properties?.templateFile === undefined) throw new Error(`No stack ${environment}/${stackId} in the shared synthesis`);
  return JSON.parse(fs.readFileSync(path.join(directory, artifact.properties.templateFile), 'utf8')) as TemplateJson;
}
