import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sourceHash } from './source-hash';

const PROJECT = path.join(__dirname, '..', '..');

export interface CompiledEntryProps {
  /** The TypeScript entry point, relative to the project (for example `tools/pr-diff/cli.ts`). */
  readonly entry: string;
  /** What it is compiled from (relative folders and files): a change to any compiles it again. */
  readonly sources: readonly string[];
  /** Files (relative to the project) copied beside the compiled file, which it finds there at run time. */
  readonly besides?: readonly string[];
}

/** Entry → compiled file, within one test file. */
const compiledThisRun = new Map<string, string>();

/**
 * A tool's TypeScript entry point compiled once per source state into one CommonJS file, with
 * esbuild as tsx compiles each file, its packages left to node_modules. Run with plain `node`, a
 * tool loads in a fraction of the CPU time it takes through tsx's loader hooks (which compile the
 * sources again and look up every module the tool loads), so tests that run a tool many times run
 * this file; the tool's own command (`npm start`, `npm run diff:pr`) still runs through tsx. Kept
 * under node_modules/.cache so the packages resolve as from the sources.
 */
export function compiledEntry(props: CompiledEntryProps): string {
  // Hashing the sources (the lock file among them) once per test file is enough.
  const known = compiledThisRun.get(props.entry);
  if (known !== undefined) return known;
  const compiled = compileEntry(props);
  compiledThisRun.set(props.entry, compiled);
  return compiled;
}

function compileEntry(props: CompiledEntryProps): string {
  const name = path.basename(props.entry, '.ts');
  const directory = path.join(
    PROJECT,
    'node_modules',
    '.cache',
    'compiled-tools',
    `${props.entry.replace(/[^A-Za-z0-9]+/g, '-')}-${sourceHash([...props.sources, 'package-lock.json', ...(props.besides ?? [])])}`,
  );
  const compiled = path.join(directory, `${name}.js`);
  if (fs.existsSync(compiled)) return compiled;
  const partial = `${directory}.partial-${process.pid}`;
  fs.mkdirSync(partial, { recursive: true });
  // In a Node process of its own: esbuild's API refuses to run inside Jest's module sandbox.
  const build = {
    entryPoints: [path.join(PROJECT, props.entry)],
    outfile: path.join(partial, `${name}.js`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    logLevel: 'warning',
  };
  const result = spawnSync(process.execPath, ['-e', `require('esbuild').buildSync(${JSON.stringify(build)})`], {
    cwd: PROJECT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`compiling ${props.entry} failed: ${result.stderr}`);
  }
  for (const file of props.besides ?? []) fs.copyFileSync(path.join(PROJECT, file), path.join(partial, path.basename(file)));
  try {
    fs.renameSync(partial, directory);
  } catch (error) {
    // Another test file compiled the same sources at the same time: keep its copy.
    if (!fs.existsSync(compiled)) throw error;
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return compiled;
}
