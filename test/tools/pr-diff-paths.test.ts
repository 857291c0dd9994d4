/**
 * pr-diff and the directory an app is synthesized in.
 *
 * AppFunction gives every NodejsFunction a custom asset hash (its source fingerprint), but the CDK
 * mixes the bundling options into the final hash (AssetStaging.calculateHash), and NodejsFunction's
 * bundling options hold absolute paths (projectRoot, entry, depsLockFilePath). The same code
 * synthesized in two directories therefore gets two asset hashes: every function's Code and every
 * Lambda Version would show as changed in every pull request diff.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AppFunction } from '../../lib/constructs/app-function';
import { readAssemblyTemplates } from '../../tools/pr-diff/assembly';
import { summarize } from '../../tools/pr-diff/summarize';
import { compiledEntry } from '../support/compiled-entry';

const REPO_ROOT = path.join(__dirname, '..', '..');
const APP_FUNCTION = path.join(REPO_ROOT, 'lib', 'constructs', 'app-function');

const LOCK_FILE = JSON.stringify({ name: 'fixture', version: '1.0.0', lockfileVersion: 3, requires: true, packages: {} });
const handlerSource = (body: string) => `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;

/** A project directory holding two handlers and a lock file, the same bytes wherever it is. */
function writeProject(dir: string): void {
  fs.mkdirSync(path.join(dir, 'handlers'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package-lock.json'), LOCK_FILE);
  fs.writeFileSync(path.join(dir, 'handlers', 'hello.ts'), handlerSource('hello'));
  fs.writeFileSync(path.join(dir, 'handlers', 'bye.ts'), handlerSource('bye'));
}

describe('pr-diff across directories', () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-diff-paths-'));
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the CDK gives the same AppFunction code two asset hashes in two directories, even with bundling skipped', () => {
    const synthIn = (name: string) => {
      const projectRoot = path.join(root, name, 'project');
      writeProject(projectRoot);
      const outdir = path.join(root, name, 'cdk.out');
      // Without the CDK's built-in CloudFormation validation, which never changes a template (its engine
      // takes about 2.7 s of CPU to start).
      const app = new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(new Stage(app, 'dev'), 'Api');
      new AppFunction(stack, 'Hello', {
        handlerFile: path.join(projectRoot, 'handlers', 'hello.ts'),
        projectRoot,
        description: 'hello',
        serviceName: 'fixture',
        invocation: { kind: 'api' },
        logRetention: RetentionDays.ONE_WEEK,
      });
      app.synth();
      return readAssemblyTemplates(outdir);
    };
    const first = synthIn('first');
    const second = synthIn('second');
    const codeOf = (templates: ReturnType<typeof synthIn>) =>
      Object.values(templates['dev/Api'].Resources ?? {}).find((r) => r.Type === 'AWS::Lambda::Function')?.Properties?.Code;

    // Identical files, identical source fingerprint, different directory: different S3 key.
    expect(codeOf(first)).toBeDefined();
    expect(JSON.stringify(codeOf(first))).not.toEqual(JSON.stringify(codeOf(second)));
    const result = summarize(first, second);
    expect(result.stacks.find((s) => s.stackId === 'dev/Api')?.modified.map((c) => c.details)).toEqual([['`Code` changed']]);
  });

  it('ignores asset metadata (aws:asset:path names a local folder, a random one for CDK custom resource providers)', () => {
    const withAssetPath = (assetPath: string) => ({
      'dev/Api': {
        Resources: {
          Handler: {
            Type: 'AWS::Lambda::Function',
            Properties: { Code: { S3Bucket: 'assets', S3Key: 'abc.zip' } },
            Metadata: { 'aws:cdk:path': 'dev/Api/Handler', 'aws:asset:path': assetPath, 'aws:asset:property': 'Code' },
          },
        },
      },
    });
    const same = summarize(withAssetPath('/tmp/cdk-custom-resourceAAAA'), withAssetPath('/tmp/cdk-custom-resourceBBBB'));
    expect(same.verdict).toBe('no-changes');
    expect(same.stacks.map((s) => s.status)).toEqual(['unchanged']);
  });

  describe('npm run diff:pr -- --base <rev>', () => {
    let repo: string;

    /**
     * A git repository whose CDK app has two AppFunctions, one with a `live` alias (a Lambda
     * Version), and a bucket whose objects a CDK custom resource deletes.
     */
    beforeAll(() => {
      repo = path.join(root, 'repo');
      writeProject(repo);
      fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
      fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\ncdk.out\n');
      fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'fixture', version: '1.0.0', private: true }));
      // The app is app.ts compiled by esbuild (with the project's AppFunction it imports) into app.js,
      // which node runs: tsx would compile it again in each of the four synths and pass every module
      // of aws-cdk-lib through its loader (about 0.6 s of CPU a synth). Packages stay external.
      fs.writeFileSync(path.join(repo, 'cdk.json'), JSON.stringify({ app: `${process.execPath} app.js` }));
      fs.writeFileSync(
        path.join(repo, 'app.ts'),
        [
          "import * as path from 'node:path';",
          "import { App, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';",
          "import { RetentionDays } from 'aws-cdk-lib/aws-logs';",
          "import { Bucket } from 'aws-cdk-lib/aws-s3';",
          `import { AppFunction } from ${JSON.stringify(APP_FUNCTION)};`,
          // FIXTURE_SKIP_BUNDLING leaves esbuild out (after the CLI's context, which asks for bundling):
          // the asset hashes are source fingerprints, the same with or without bundling.
          "const app = new App(process.env.FIXTURE_SKIP_BUNDLING ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {});",
          "const stack = new Stack(new Stage(app, 'dev'), 'Api');",
          "const common = { projectRoot: __dirname, serviceName: 'fixture', invocation: { kind: 'api' as const }, logRetention: RetentionDays.ONE_WEEK };",
          "new AppFunction(stack, 'Hello', { ...common, handlerFile: path.join(__dirname, 'handlers', 'hello.ts'), description: 'hello', provisionedConcurrency: 1 });",
          "new AppFunction(stack, 'Bye', { ...common, handlerFile: path.join(__dirname, 'handlers', 'bye.ts'), description: 'bye' });",
          // A CDK custom resource provider: the CDK stages its code through a random temporary folder.
          "new Bucket(stack, 'Reports', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });",
          'app.synth();',
          '',
        ].join('\n'),
      );
      buildSync({
        entryPoints: [path.join(repo, 'app.ts')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        packages: 'external',
        outfile: path.join(repo, 'app.js'),
        logLevel: 'warning',
      });
      const git = (...args: string[]) => {
        const result = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', '-c', 'commit.gpgsign=false', ...args], {
          cwd: repo,
          encoding: 'utf8',
        });
        if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
      };
      git('init', '--quiet');
      git('add', '.');
      git('commit', '--quiet', '-m', 'fixture');
    });

    const diffPr = (bundling: 'bundle' | 'skip-bundling') => {
      const env = bundling === 'skip-bundling' ? { ...process.env, FIXTURE_SKIP_BUNDLING: '1' } : process.env;
      // The tool compiled once (the same code without tsx's loader; pr-diff.test.ts runs it through tsx).
      const tool = compiledEntry({ entry: 'tools/pr-diff/cli.ts', sources: ['tools/pr-diff'] });
      const result = spawnSync(process.execPath, [tool, '--base', 'HEAD'], { cwd: repo, encoding: 'utf8', timeout: 120_000, env });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };

    // Bundling skipped: the asset hashes are the same without it, and the next test, which bundles for
    // real, shows the unchanged function, its Version and the provider's function unchanged too.
    it('shows no change when the working tree is the base revision', () => {
      const { status, stdout, stderr } = diffPr('skip-bundling');
      expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
      expect(stdout.split('\n')[0]).toBe('✅ **No infrastructure changes.**');
      expect(stdout).toContain('Unchanged stacks: `dev/Api`.');
    }, 180_000);

    it("shows exactly the changed handler's Code, with an untracked file it now imports", () => {
      fs.writeFileSync(path.join(repo, 'handlers', 'farewell.ts'), "export const FAREWELL = 'goodbye';\n");
      fs.writeFileSync(
        path.join(repo, 'handlers', 'bye.ts'),
        "import { FAREWELL } from './farewell';\nexport const handler = async () => ({ statusCode: 200, body: FAREWELL });\n",
      );
      try {
        // With real bundling: esbuild must find the untracked file in the copied working tree.
        const { status, stdout, stderr } = diffPr('bundle');
        expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
        expect(stdout.split('\n')[0]).toMatch(/^✅ \*\*OK\*\*/);
        // Every resource row of the summary: only Bye's function, whose Code changes; Hello, its
        // Version and alias, and the custom resource provider's function stay as they are.
        const rows = stdout.split('\n').filter((line) => line.startsWith('| `'));
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatch(
          /^\| `ByeFunction[0-9A-F]+` \| `AWS::Lambda::Function` \| `dev\/Api\/Bye\/Function\/Resource` \|.*\| `Code` changed \|$/,
        );
        expect(stdout).not.toMatch(/Hello/);
      } finally {
        fs.writeFileSync(path.join(repo, 'handlers', 'bye.ts'), handlerSource('bye'));
        fs.rmSync(path.join(repo, 'handlers', 'farewell.ts'));
      }
    }, 180_000);
  });
});
