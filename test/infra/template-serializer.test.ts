import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssetStaging, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AppFunction } from '../../lib/constructs/app-function';
import { testApp } from '../support/synth';
import { normaliseTemplate } from '../support/template-serializer';

/**
 * The one test that bundles for real (esbuild, through AppFunction's settings): it proves the
 * snapshot serializer hides a change to handler code, and that a bundle is an ESM file.
 */
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'template-serializer-'));
const handlerFile = path.join(workDir, 'greeting.ts');
// A project of its own outside the repository: the handler imports nothing, so an empty lock file
// and the repository's node_modules (for esbuild) are all bundling needs.
fs.writeFileSync(path.join(workDir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {} }));
fs.symlinkSync(path.join(__dirname, '..', '..', 'node_modules'), path.join(workDir, 'node_modules'), 'dir');

function synthesizeWithHandler(
  source: string,
  outdir = fs.mkdtempSync(path.join(workDir, 'out-')),
): { template: Record<string, unknown>; outdir: string } {
  fs.writeFileSync(handlerFile, source);
  const app = testApp({ outdir, bundle: true });
  const stack = new Stack(app, 'Bundled');
  new AppFunction(stack, 'Greeting', {
    handlerFile,
    projectRoot: workDir,
    description: 'bundling check',
    serviceName: 'test',
    invocation: { kind: 'api' },
    logRetention: RetentionDays.ONE_DAY,
  });
  const template = Template.fromStack(stack).toJSON();
  return { template, outdir: app.outdir };
}

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe('template serializer', () => {
  // Two real bundling synths, shared by the tests below.
  const before = synthesizeWithHandler("export const handler = async () => ({ statusCode: 200, body: 'one' });\n");
  const after = synthesizeWithHandler("export const handler = async () => ({ statusCode: 200, body: 'two' });\n");

  it('leaves a template unchanged when only handler code changed', () => {
    expect(JSON.stringify(after.template)).not.toEqual(JSON.stringify(before.template));
    expect(normaliseTemplate(after.template)).toEqual(normaliseTemplate(before.template));
  });

  it('still shows a change to the infrastructure', () => {
    const base = before.template;
    const changed = JSON.parse(JSON.stringify(base)) as {
      Resources: Record<string, { Type: string; Properties: { MemorySize?: number } }>;
    };
    const fn = Object.values(changed.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function');
    fn!.Properties.MemorySize = 1024;

    expect(normaliseTemplate(changed)).not.toEqual(normaliseTemplate(base));
  });

  it('bundles handlers as minified ES modules', () => {
    const assetDir = fs.readdirSync(after.outdir).find((entry) => entry.startsWith('asset.'));
    const bundle = fs.readFileSync(path.join(after.outdir, assetDir!, 'index.mjs'), 'utf8');

    expect(bundle).toMatch(/export\s*\{/);
    expect(bundle.split('\n').length).toBeLessThan(5);
  });

  it('reuses the bundle already in cdk.out when the handler has not changed, without running esbuild', () => {
    // As a new `cdk synth` process would: nothing remembered in memory, only what is on disk.
    AssetStaging.clearAssetHashCache();
    const messages: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      messages.push(String(chunk));
      return true;
    });
    try {
      const again = synthesizeWithHandler("export const handler = async () => ({ statusCode: 200, body: 'two' });\n", after.outdir);
      expect(JSON.stringify(again.template)).toEqual(JSON.stringify(after.template));
    } finally {
      stderr.mockRestore();
    }
    expect(messages.filter((message) => message.includes('Bundling asset'))).toEqual([]);
  });
});
