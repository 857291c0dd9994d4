import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

// The README's synth command (`npx cdk synth --quiet`), run by the CLI on a tiny app built through
// the project's entry point (synthesizeCheckedApp, as bin/app.ts). Every stack of the fixture is
// inside a Stage, as every stack of the platform is, so a bare synth selects none of them.
const root = path.join(__dirname, '..', '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

/**
 * The fixture app and the project code it imports (lib/compliance.ts…), compiled once by esbuild
 * into one JavaScript file that node runs: tsx would compile the same code again in each of the
 * three synths and pass every module of aws-cdk-lib and cdk-nag through its loader (about 1.5 s of
 * CPU a synth). Packages stay external, resolved from the project's node_modules, so the bundle
 * lives under node_modules/.cache.
 */
let fixtureApp: string;
let bundleDir: string;
beforeAll(() => {
  const cache = path.join(root, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  bundleDir = fs.mkdtempSync(path.join(cache, 'synth-gate-'));
  const outfile = path.join(bundleDir, 'app.js');
  buildSync({
    entryPoints: [path.join(root, 'test', 'fixtures', 'synth-gate', 'app.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  fixtureApp = `${process.execPath} ${outfile}`;
});
afterAll(() => {
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

/** `cdk synth --quiet [flags…] [selection…]` of the fixture with `-c violation=<violation>`. */
function synth(violation: string, ...selection: string[]): { status: number | null; output: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-gate-'));
  try {
    const result = spawnSync(
      cdk,
      ['synth', '--quiet', ...selection, '--app', fixtureApp, '--output', outdir, '-c', `violation=${violation}`],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', NODE_ENV: 'production' },
        timeout: 120_000,
      },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk synth --quiet, the README command', () => {
  it('succeeds on a compliant app', () => {
    const { status, output } = synth('none');
    expect({ status, output }).toMatchObject({ status: 0 });
  }, 120_000);

  it('fails on an unencrypted queue without a DLQ, naming it, though no stack is selected', () => {
    const { status, output } = synth('queue');
    expect(status).toBe(1);
    expect(output).toMatch(/AwsSolutions-SQS3/);
    expect(output).toContain('fixture/Gate/Unencrypted/Resource');
    expect(output).toContain('Synth failed: unacknowledged compliance findings');
  }, 120_000);

  // `npm run synth:fast` (every stack, without the CDK CLI's own template validation, half the CPU
  // of a run): the gate is the app's, so it fails the fast synth too, as the README says.
  it("fails on an IAM statement allowing every action, with every stack selected ('**'), in npm run synth:fast", () => {
    const { status, output } = synth('iam', '--no-validation', '**');
    expect(status).toBe(1);
    expect(output).toMatch(/fixture\/Gate\/Everything\/DefaultPolicy\/Resource/);
    expect(output).toMatch(/AwsSolutions-IAM5\[Action::\*\]/);
  }, 120_000);
});
