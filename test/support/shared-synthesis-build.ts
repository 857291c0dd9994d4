/**
 * Builds the infra tests' shared synthesis (see synthesis-cache.ts) into the folder given as the
 * first argument: the whole app, every environment, as bin/app.ts builds it (the same feature flags,
 * cdk-nag's packs and the CDK's built-in validation) but without bundling.
 *
 *   tsx test/support/shared-synthesis-build.ts <folder> <run id> [--lock-taken]
 *
 * Run once per source state by the first process that needs it; the others wait on its lock. It
 * synthesizes into `<folder>.partial-<pid>` and renames that into place, so a reader never sees a
 * half-written folder. It exits 0 when the folder is there (or another live process is building
 * it); on failure it writes the error to `<folder>.error` (with the run id, so the other test files
 * of the same jest run fail with the same text instead of synthesizing again) and exits 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  COMPLIANCE_SYNTH_ERROR_FILE,
  holdLock,
  isAlive,
  lockHeld,
  releaseLock,
  SYNTHESIS_VARIANTS,
  takeLock,
  type SynthesisFailure,
} from './synthesis-cache';

async function build(directory: string): Promise<void> {
  // Loaded here, not at the top: an error in lib/ (even one thrown while loading) is then written
  // to the error file like any other synth error.
  const { applyComplianceChecks } = await import('../../lib/compliance');
  const { ENVIRONMENT_NAMES, ENVIRONMENTS } = await import('../../lib/config');
  const { addEnvironments } = await import('../../lib/platform');
  const { testApp } = await import('./synth');
  const partial = `${directory}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const app = testApp({ outdir: partial, validate: true });
  addEnvironments(
    app,
    ENVIRONMENT_NAMES.map((name) => ENVIRONMENTS[name]),
  );
  applyComplianceChecks(app);
  try {
    app.synth();
  } catch (error) {
    // cdk-nag's or the built-in validation's findings: they fail synth after the assembly and
    // validation-report.json are written. Only the compliance test judges them; keep the message.
    if (!fs.existsSync(path.join(partial, 'manifest.json')) || !fs.existsSync(path.join(partial, 'validation-report.json'))) throw error;
    fs.writeFileSync(
      path.join(partial, COMPLIANCE_SYNTH_ERROR_FILE),
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  }
  for (const [name, variant] of Object.entries(SYNTHESIS_VARIANTS)) {
    const shipped = ENVIRONMENTS[variant.environment];
    const variantApp = testApp({ outdir: path.join(partial, 'variants', name) });
    addEnvironments(variantApp, [
      { ...shipped, containers: { ...shipped.containers, exportServiceEnabled: variant.exportServiceEnabled } },
    ]);
    variantApp.synth();
  }
  try {
    fs.renameSync(partial, directory);
  } catch (error) {
    // Another process renamed the same synthesis into place first (its lock was taken as stale).
    if (!fs.existsSync(path.join(directory, 'manifest.json'))) throw error;
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * What this checkout's earlier source states left in the temporary folder: their synthesis (a few
 * MB each), their error files, and the partial folders of builds that were killed.
 */
function pruneEarlierStates(directory: string): void {
  const parent = path.dirname(directory);
  const prefix = path.basename(directory).replace(/[0-9a-f]+$/, '');
  for (const entry of fs.readdirSync(parent)) {
    if (!entry.startsWith(prefix) || entry === path.basename(directory)) continue;
    const rest = entry.slice(prefix.length);
    const partialOf = /^[0-9a-f]+\.partial-(\d+)$/.exec(rest);
    const earlier = /^[0-9a-f]+(\.error)?$/.test(rest) || (partialOf !== null && !isAlive(Number(partialOf[1])));
    if (earlier) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [directory, runId, lockTaken] = process.argv.slice(2);
  if (directory === undefined || runId === undefined) throw new Error('usage: shared-synthesis-build.ts <folder> <run id> [--lock-taken]');
  const lock = `${directory}.lock`;
  if (lockTaken === '--lock-taken') {
    holdLock(lock); // taken for this process by the jest run's global setup
  } else {
    for (;;) {
      if (fs.existsSync(path.join(directory, 'manifest.json'))) return;
      if (takeLock(lock)) break;
      if (lockHeld(lock)) return; // another live process builds it; the caller waits for the folder
    }
  }
  try {
    if (fs.existsSync(path.join(directory, 'manifest.json'))) return;
    fs.rmSync(`${directory}.error`, { force: true });
    try {
      await build(directory);
    } catch (error) {
      const failure: SynthesisFailure = { runId, text: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      fs.writeFileSync(`${directory}.error.${process.pid}`, JSON.stringify(failure));
      fs.renameSync(`${directory}.error.${process.pid}`, `${directory}.error`);
      fs.rmSync(`${directory}.partial-${process.pid}`, { recursive: true, force: true });
      throw error;
    }
    pruneEarlierStates(directory);
  } finally {
    releaseLock(lock);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
