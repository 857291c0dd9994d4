import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildWorkerBundle } from '../support/worker-process';

const PROJECT = path.join(__dirname, '..', '..');
/** What containers/worker/build.mjs bundles from (its Dockerfile stage copies no more than this). */
const INPUTS = ['containers/worker', 'lambda', 'package-lock.json', 'tsconfig.json'];

function inputsHash(): string {
  const hash = createHash('sha256');
  const walk = (entry: string) => {
    const full = path.join(PROJECT, entry);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const child of fs.readdirSync(full).sort()) {
        if (child === 'node_modules' || child === 'dist' || child.startsWith('.')) continue;
        walk(path.join(entry, child));
      }
    } else hash.update(entry).update(fs.readFileSync(full));
  };
  for (const input of INPUTS) walk(input);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The worker bundle of `buildWorkerBundle` (build.mjs, what the image runs), built once per state
 * of its sources and kept in the system's temporary folder: the export tests run the same file
 * without bundling it again in each test file and run.
 */
export async function cachedWorkerBundle(): Promise<string> {
  const directory = path.join(os.tmpdir(), `worker-bundle-${inputsHash()}`);
  const bundle = path.join(directory, 'worker.js');
  if (fs.existsSync(bundle)) return bundle;
  const built = await buildWorkerBundle();
  const partial = `${directory}.partial-${process.pid}`;
  fs.cpSync(path.dirname(built), partial, { recursive: true });
  fs.rmSync(path.dirname(built), { recursive: true, force: true });
  try {
    fs.renameSync(partial, directory);
  } catch (error) {
    // Another test file built the same sources at the same time: keep its copy.
    if (!fs.existsSync(bundle)) throw error;
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return bundle;
}
