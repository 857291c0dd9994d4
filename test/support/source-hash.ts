import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PROJECT = path.join(__dirname, '..', '..');

/**
 * A hash of what a cached test artefact is made from: the path and content of every file under
 * `sources` (paths relative to the project; node_modules, dist and dot-entries skipped) and the
 * `extra` strings (versions, settings). The caches of the test support (the shared synthesis, the
 * dev assembly, the worker bundle, compiled tools) are keyed by it: any change rebuilds them.
 */
export function sourceHash(sources: readonly string[], extra: readonly string[] = []): string {
  const hash = createHash('sha256');
  for (const value of extra) hash.update(`\0${value}\0`);
  const walk = (entry: string) => {
    const full = path.join(PROJECT, entry);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const child of fs.readdirSync(full).sort()) {
        if (child === 'node_modules' || child === 'dist' || child.startsWith('.')) continue;
        walk(path.join(entry, child));
      }
    } else hash.update(`\0${entry}\0`).update(fs.readFileSync(full));
  };
  for (const source of sources) walk(source);
  return hash.digest('hex').slice(0, 16);
}
