import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BUILD_SCRIPT = path.join(__dirname, '..', '..', 'containers', 'worker', 'build.mjs');

/**
 * Bundles the worker with containers/worker/build.mjs, the script the Dockerfile runs, into a
 * temporary folder: tests run the same file the image runs with `node dist/worker.js`.
 */
export async function buildWorkerBundle(): Promise<string> {
  const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'worker-bundle-')), 'worker.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BUILD_SCRIPT, outfile], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build.mjs exited with ${code}`))));
  });
  return outfile;
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
