import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A handler's source fingerprint: what its bundle is made from, known without bundling.
 *
 * It hashes the handler file and every project file it imports, directly or through other files
 * (relative imports, followed), the lock file (which fixes every package a bundle can contain), the
 * esbuild version and the bundling options. Used as a NodejsFunction's custom asset hash, it lets
 * the CDK reuse a bundle already in cdk.out instead of running esbuild again (see AppFunction).
 */
export function sourceFingerprint(
  entry: string,
  options: { readonly projectRoot: string; readonly lockFile: string; readonly bundling: unknown },
): string {
  const hash = createHash('sha256');
  for (const file of sourceFilesOf(entry)) {
    hash.update(path.relative(options.projectRoot, file).split(path.sep).join('/')).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  hash.update(fs.readFileSync(options.lockFile));
  hash.update(esbuildVersion(options.projectRoot));
  hash.update(JSON.stringify(options.bundling));
  return hash.digest('hex');
}

/** The entry file and every file it reaches through relative imports, sorted. */
export function sourceFilesOf(entry: string): string[] {
  const found = new Set<string>();
  const pending = [path.resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (found.has(file)) continue;
    found.add(file);
    if (file.endsWith('.json')) continue;
    for (const specifier of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(resolveRelative(file, specifier));
    }
  }
  return [...found].sort();
}

/**
 * Every module specifier in `import ... from`, `export ... from`, `import '...'`, `import(...)` and
 * `require(...)`. A match inside a comment only adds a file to the fingerprint (or fails loudly if
 * it names none), never leaves one out.
 */
const SPECIFIER = /\b(?:from\s*|import\s*\(?\s*|require\s*\(\s*)['"]([^'"\n]+)['"]/g;

export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1]);
}

/** The extensions esbuild tries for an import without one, in its order for TypeScript. */
const CANDIDATES = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.js'];

function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of CANDIDATES) {
    const file = base + candidate;
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  throw new Error(`${from} imports ${specifier}, which is not a file: the handler's source fingerprint cannot be complete`);
}

const esbuildVersions = new Map<string, string>();

/** The esbuild the project bundles with; a new version may bundle differently. */
function esbuildVersion(projectRoot: string): string {
  let version = esbuildVersions.get(projectRoot);
  if (version === undefined) {
    const manifest = require.resolve('esbuild/package.json', { paths: [projectRoot, __dirname] });
    version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
    esbuildVersions.set(projectRoot, version);
  }
  return version;
}
