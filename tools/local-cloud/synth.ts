import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folders whose sources make the assembly: a change in any of them makes cdk.out stale. */
export const SOURCE_FOLDERS = ['lib', 'bin', 'lambda', 'containers'];
const SOURCE_FILES = ['cdk.json', 'package-lock.json'];

/** The newest modification time of the app's sources (lib/ bin/ lambda/ containers/, cdk.json, the lock file). */
export function newestSourceTime(projectDirectory: string): number {
  let newest = 0;
  const walk = (directory: string) => {
    if (!fs.existsSync(directory)) return;
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  for (const folder of SOURCE_FOLDERS) walk(path.join(projectDirectory, folder));
  for (const file of SOURCE_FILES) {
    const full = path.join(projectDirectory, file);
    if (fs.existsSync(full)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Why the assembly must be synthesized again, or undefined when it is current: missing, missing
 * the stage, or older than a source file.
 */
export function staleness(projectDirectory: string, assemblyDirectory: string, stage: string): string | undefined {
  const manifest = path.join(assemblyDirectory, 'manifest.json');
  if (!fs.existsSync(manifest)) return `${path.relative(projectDirectory, assemblyDirectory) || assemblyDirectory} has no cloud assembly`;
  const text = fs.readFileSync(manifest, 'utf8');
  if (!text.includes(`"displayName": "${stage}"`) && !text.includes(`"displayName":"${stage}"`))
    return `the assembly has no stage "${stage}"`;
  const source = newestSourceTime(projectDirectory);
  if (source > fs.statSync(manifest).mtimeMs) return 'sources changed since the last synth';
  return undefined;
}

/** Synthesizes one stage with bundling (the CDK CLI, as `npm run synth` does, for one environment). */
export function synthesize(projectDirectory: string, assemblyDirectory: string, stage: string, log: (line: string) => void): void {
  log(
    `synth    cdk synth '${stage}/*' -c environments=${stage} → ${path.relative(projectDirectory, assemblyDirectory) || assemblyDirectory} (bundles every function; about a minute)`,
  );
  const cli = path.join(projectDirectory, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const result = spawnSync(
    process.execPath,
    [cli, 'synth', `${stage}/*`, '--quiet', '-c', `environments=${stage}`, '-o', assemblyDirectory],
    {
      cwd: projectDirectory,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (result.status !== 0) throw new Error(`cdk synth failed (exit ${result.status})`);
}
