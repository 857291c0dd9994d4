import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sourceHash } from './source-hash';

const ROOT = path.join(__dirname, '..', '..');
const BUILD_SCRIPT = path.join(ROOT, 'containers', 'worker', 'build.mjs');
/**
 * Everything the bundle is built from: the worker and the lambda/ code it imports (a superset of
 * what the Dockerfile copies), the locked dependencies (esbuild among them) and the TypeScript
 * settings esbuild reads.
 */
const BUNDLE_INPUTS = ['containers/worker', 'lambda', 'package-lock.json', 'tsconfig.json'];
const CACHE_DIR = path.join(os.tmpdir(), 'worker-bundle-cache');
/** Bundles unused for this long are removed when a new one is built. */
const CACHE_MAX_AGE_MS = 24 * 3600_000;

/**
 * Bundles the worker with containers/worker/build.mjs, the script the Dockerfile runs: tests run
 * the same file the image runs with `node dist/worker.js`. The bundle is kept in the temporary
 * folder under a hash of its sources, so the test files that run the worker, and later
 * runs, build it once per version of the sources instead of once per file.
 */
export async function buildWorkerBundle(): Promise<string> {
  const folder = path.join(CACHE_DIR, sourceHash(BUNDLE_INPUTS, [process.version]));
  const outfile = path.join(folder, 'worker.js');
  if (fs.existsSync(outfile)) {
    const now = new Date();
    fs.utimesSync(folder, now, now);
    return outfile;
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  removeStaleBundles();
  // Built beside the cache and renamed into place whole, so a file running at the same time never
  // sees half a bundle; the one that renames second keeps using the first one's identical bundle.
  const building = fs.mkdtempSync(path.join(CACHE_DIR, 'building-'));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BUILD_SCRIPT, path.join(building, 'worker.js')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build.mjs exited with ${code}`))));
  }).catch((error: unknown) => {
    fs.rmSync(building, { recursive: true, force: true });
    throw error;
  });
  try {
    fs.renameSync(building, folder);
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true });
    if (!fs.existsSync(outfile)) throw error;
  }
  return outfile;
}

function removeStaleBundles(): void {
  for (const entry of fs.readdirSync(CACHE_DIR)) {
    const folder = path.join(CACHE_DIR, entry);
    try {
      if (Date.now() - fs.statSync(folder).mtimeMs > CACHE_MAX_AGE_MS) fs.rmSync(folder, { recursive: true, force: true });
    } catch {
      // Removed by another test file at the same moment.
    }
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every line the worker wrote to stdout so far (its JSON logs). */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal that killed it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <bundle> ...args` with exactly `env` (plus PATH), collecting its log lines. */
export function spawnWorker(bundle: string, args: readonly string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', bundle, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const pieces = (partial + text).split('\n');
    partial = pieces.pop() ?? '';
    lines.push(...pieces.filter((line) => line !== ''));
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      if (partial !== '') lines.push(partial);
      if (stderr !== '') lines.push(...stderr.split('\n').filter((line) => line !== ''));
      resolve({ code, signal });
    });
  });
  return { child, lines, exited };
}

/** The worker's JSON log lines whose message is `message`. */
export function logsWithMessage(lines: readonly string[], message: string): Record<string, unknown>[] {
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.message === message);
}

/**
 * The URL the export server logs once it listens (`Export server listening`); fails, with the
 * worker's output, if it has not listened within 15 s.
 */
export async function exportServerUrl(worker: WorkerProcess): Promise<string> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    const url = logsWithMessage(worker.lines, 'Export server listening')[0]?.url;
    if (typeof url === 'string') return url;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The export server did not listen within 15 s:\n${worker.lines.join('\n')}`);
}
