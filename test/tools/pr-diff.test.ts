import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import type { AppProps, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { readAssemblyTemplates } from '../../tools/pr-diff/assembly';
import { cdkCommand } from '../../tools/pr-diff/cli';
import { STATEFUL_RESOURCE_TYPES, summarize } from '../../tools/pr-diff/summarize';
import type { DiffSummary, TemplateMap } from '../../tools/pr-diff/summarize';
import { compiledEntry } from '../support/compiled-entry';

/** The knobs a pull request turns on the little fixture app. */
interface Variant {
  readonly tableId: string;
  readonly partitionKey: string;
  readonly memorySize: number;
  readonly grantRead: boolean;
}

const BASE: Variant = { tableId: 'UsersTable', partitionKey: 'userId', memorySize: 128, grantRead: false };

class StatefulStack extends Stack {
  readonly table: dynamodb.Table;
  constructor(scope: Stage, id: string, variant: Variant, props?: StackProps) {
    super(scope, id, props);
    this.table = new dynamodb.Table(this, variant.tableId, {
      partitionKey: { name: variant.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
  }
}

class ApiStack extends Stack {
  constructor(scope: Stage, id: string, table: dynamodb.Table, variant: Variant) {
    super(scope, id);
    const fn = new lambda.Function(this, 'GetUserFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
      memorySize: variant.memorySize,
      environment: { TABLE_NAME: table.tableName },
    });
    if (variant.grantRead) table.grantReadData(fn);
  }
}

/**
 * An App for the fixtures, without the CDK's built-in CloudFormation validation (on in a plain App):
 * it only checks templates, never changes them, and its WebAssembly engine takes about 2.7 s of CPU
 * to start and 0.5 s per synth. These tests read the templates; the gate is test/infra/synth-gate.test.ts.
 */
function fixtureApp(props: AppProps): App {
  return new App({ builtinCloudFormationValidation: false, ...props });
}

/** Synthesize the fixture app (stage `dev` with `Stateful` and `Api` stacks) into a fresh directory. */
function synthVariant(root: string, name: string, overrides: Partial<Variant>): string {
  const variant = { ...BASE, ...overrides };
  const outdir = path.join(root, name);
  const app = fixtureApp({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new Stage(app, 'dev');
  const stateful = new StatefulStack(stage, 'Stateful', variant);
  new ApiStack(stage, 'Api', stateful.table, variant);
  app.synth();
  return outdir;
}

/**
 * A worker app: `Containers` holds a task definition, `Jobs` a role allowed to run it, reading its
 * ARN (revision included) or only its family from `Containers`. A memory change replaces the task
 * definition (a new revision); the role's template does not change.
 */
function synthWorker(
  root: string,
  name: string,
  variant: { memoryMiB: number; reads: 'revision' | 'family'; references: 'weak' | 'strong' },
): string {
  const outdir = path.join(root, name);
  const app = fixtureApp({ outdir, context: { '@aws-cdk/core:defaultCrossStackReferences': variant.references } });
  const stage = new Stage(app, 'prod', { env: { account: '111111111111', region: 'eu-west-1' } });
  const containers = new Stack(stage, 'Containers');
  const task = new ecs.FargateTaskDefinition(containers, 'ImportTask', { memoryLimitMiB: variant.memoryMiB, cpu: 256 });
  task.addContainer('Worker', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1') });
  const jobs = new Stack(stage, 'Jobs');
  const role = new iam.Role(jobs, 'StateMachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
  const resource =
    variant.reads === 'revision'
      ? task.taskDefinitionArn
      : jobs.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${task.family}:*` });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [resource] }));
  app.synth();
  return outdir;
}

const CLI = path.join(__dirname, '..', '..', 'tools', 'pr-diff', 'cli.ts');
const TSX = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

/**
 * The tool as `npm run diff:pr` runs it (tsx) for the first case, compiled once (compiledEntry,
 * the same code without tsx's loader) for the others.
 */
function runCli(args: string[], through: 'tsx' | 'compiled' = 'compiled'): { status: number | null; stdout: string; stderr: string } {
  const [command, ...prefix] =
    through === 'tsx' ? [TSX, CLI] : [process.execPath, compiledEntry({ entry: 'tools/pr-diff/cli.ts', sources: ['tools/pr-diff'] })];
  const result = spawnSync(command, [...prefix, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pr-diff', () => {
  let root: string;
  const dirs: Record<string, string> = {};
  const templates: Record<string, TemplateMap> = {};

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-diff-test-'));
    const variants: Record<string, Partial<Variant>> = {
      base: {},
      memory: { memorySize: 512 },
      renamedTable: { tableId: 'PeopleTable' },
      newPartitionKey: { partitionKey: 'id' },
      grant: { grantRead: true },
    };
    for (const [name, overrides] of Object.entries(variants)) {
      dirs[name] = synthVariant(root, name, overrides);
      templates[name] = readAssemblyTemplates(dirs[name]);
    }
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reads the stacks of nested stage assemblies keyed by display id', () => {
    expect(Object.keys(templates.base).sort()).toEqual(['dev/Api', 'dev/Stateful']);
    const stateful = templates.base['dev/Stateful'];
    const types = Object.values(stateful.Resources ?? {}).map((r) => r.Type);
    expect(types).toContain('AWS::DynamoDB::Table');
  });

  it('reports a Lambda memory change as an in-place modification and passes', () => {
    const result = summarize(templates.base, templates.memory);

    const api = result.stacks.find((s) => s.stackId === 'dev/Api')!;
    expect(api.replaced).toEqual([]);
    expect(api.modified).toHaveLength(1);
    expect(api.modified[0]).toMatchObject({ resourceType: 'AWS::Lambda::Function', kind: 'modified' });
    expect(api.modified[0].details).toEqual(['`MemorySize` changed']);
    expect(result.stacks.find((s) => s.stackId === 'dev/Stateful')!.status).toBe('unchanged');
    expect(result.verdict).toBe('ok');
    expect(result.exitCode).toBe(0);
    expect(result.markdown.split('\n')[0]).toMatch(/^✅ \*\*OK\*\*/);
    expect(result.markdown).toContain('## Environment `dev`');
    expect(result.markdown).toMatch(/\| `GetUserFunction[0-9A-F]{8}` \| `AWS::Lambda::Function` \| .*`MemorySize` changed \|/);
  });

  describe('when the users table construct is renamed', () => {
    let result: DiffSummary;
    beforeAll(() => {
      result = summarize(templates.base, templates.renamedTable);
    });

    it('fails because the stateful table is removed', () => {
      expect(result.verdict).toBe('fail');
      expect(result.exitCode).toBe(1);
      expect(result.blocking).toHaveLength(1);
      const [{ stackId, change }] = result.blocking;
      expect(stackId).toBe('dev/Stateful');
      expect(change.kind).toBe('removed');
      expect(change.logicalId).toMatch(/^UsersTable[0-9A-F]{8}$/);
      expect(change.statefulReason).toBe('stateful type');
      expect(result.markdown.split('\n')[0]).toMatch(/^❌ \*\*FAIL\*\*: 1 stateful resource would be replaced or removed/);
    });

    it('hints that the logical ID changed to the added table', () => {
      const stateful = result.stacks.find((s) => s.stackId === 'dev/Stateful')!;
      const added = stateful.added.find((a) => a.resourceType === 'AWS::DynamoDB::Table')!;
      expect(added.logicalId).toMatch(/^PeopleTable[0-9A-F]{8}$/);
      const removed = stateful.removed[0];
      expect(removed.details).toContain(`logical ID changed from \`${removed.logicalId}\`? (same type added as \`${added.logicalId}\`)`);
      // CDK tables retain by default, so CloudFormation orphans the old table instead of deleting it.
      expect(removed.details).toContain('removed from the stack but retained (orphaned) in the account');
      expect(result.markdown).toContain(`logical ID changed from \`${removed.logicalId}\`?`);
    });

    it('passes with a warning when stateful replacement is allowed', () => {
      const allowed = summarize(templates.base, templates.renamedTable, { allowStatefulReplacement: true });
      expect(allowed.verdict).toBe('allowed-with-warning');
      expect(allowed.exitCode).toBe(0);
      expect(allowed.blocking).toHaveLength(1);
      expect(allowed.markdown.split('\n')[0]).toMatch(/^⚠️ \*\*PASS WITH WARNING\*\*.*--allow-stateful-replacement/);
    });
  });

  it('reports a partition key change as a replacement and names the property', () => {
    const result = summarize(templates.base, templates.newPartitionKey);

    const stateful = result.stacks.find((s) => s.stackId === 'dev/Stateful')!;
    expect(stateful.replaced).toHaveLength(1);
    const [replaced] = stateful.replaced;
    expect(replaced.resourceType).toBe('AWS::DynamoDB::Table');
    expect(replaced.certainReplacement).toBe(true);
    expect(replaced.details[0]).toBe('`KeySchema` changed (forces replacement)');
    expect(result.verdict).toBe('fail');
    expect(result.markdown).toContain('### Stateful resources at risk');
    expect(result.markdown).toContain('would be **replaced**: `KeySchema` changed (forces replacement)');
  });

  it('shows an added IAM grant in the IAM section', () => {
    const result = summarize(templates.base, templates.grant);

    const api = result.stacks.find((s) => s.stackId === 'dev/Api')!;
    expect(api.added.map((a) => a.resourceType)).toContain('AWS::IAM::Policy');
    expect(api.permissionsBroadened).toBe(true);
    const [header, ...rows] = api.iamStatements;
    expect(header).toEqual(['', 'Resource', 'Effect', 'Action', 'Principal', 'Condition']);
    // grantReadData adds the table read actions and the stream read actions as two statements.
    const tableRead = rows.find((row) => row[3].includes('dynamodb:GetItem'))!;
    expect(tableRead[0]).toBe('+');
    expect(tableRead[1]).toContain('UsersTable');
    expect(tableRead[2]).toBe('Allow');
    expect(tableRead[3].split('\n')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(tableRead[4]).toMatch(/^AWS:\$\{GetUserFunctionServiceRole[0-9A-F]{8}\}$/);
    expect(result.verdict).toBe('ok');
    expect(result.markdown).toContain('**IAM changes** (permissions broadened)');
    expect(result.markdown).toMatch(/\| \+ \| .* \| Allow \| .*dynamodb:GetItem/);
  });

  it('counts the data-holding types and retained resources as stateful, but not SNS topics', () => {
    expect(STATEFUL_RESOURCE_TYPES).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::S3::Bucket']));
    expect(STATEFUL_RESOURCE_TYPES).not.toContain('AWS::SNS::Topic');
    const topic = (policy?: string) => ({
      'dev/Messaging': {
        Resources: { Topic: { Type: 'AWS::SNS::Topic', ...(policy ? { DeletionPolicy: policy } : {}) } },
      },
    });
    expect(summarize(topic(), {}).verdict).toBe('ok');
    const retained = summarize(topic('Retain'), {});
    expect(retained.verdict).toBe('fail');
    expect(retained.blocking[0].change.statefulReason).toBe('DeletionPolicy: Retain');
  });

  it('fails when a stateful resource moves to another stack, pointing at where it went', () => {
    const bucket = { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    const result = summarize({ 'dev/Stateful': { Resources: { Uploads: bucket } } }, { 'dev/Storage': { Resources: { Uploads: bucket } } });

    expect(result.verdict).toBe('fail');
    expect(result.stacks.map((s) => [s.stackId, s.status])).toEqual([
      ['dev/Stateful', 'removed'],
      ['dev/Storage', 'added'],
    ]);
    expect(result.blocking[0].change.details).toEqual([
      'removed from the stack but retained (orphaned) in the account',
      'its stack is no longer in the app',
      'logical ID changed from `Uploads`? (same type added as `Uploads` in `dev/Storage`)',
    ]);
    expect(result.markdown).toContain('### `dev/Stateful` (stack removed)');
  });

  describe('cli', () => {
    it('exits 1 and prints the failing verdict for the table rename', () => {
      const out = path.join(root, 'rename-summary.md');
      const { status, stdout } = runCli(['--base-dir', dirs.base, '--head-dir', dirs.renamedTable, '--out', out], 'tsx');
      expect(status).toBe(1);
      expect(stdout).toMatch(/^❌ \*\*FAIL\*\*/);
      expect(fs.readFileSync(out, 'utf8')).toBe(stdout);
    });

    it('exits 0 for the memory change', () => {
      const { status, stdout } = runCli(['--base-dir', dirs.base, '--head-dir', dirs.memory]);
      expect(status).toBe(0);
      expect(stdout).toContain('`MemorySize` changed');
    });

    it("synthesizes with the project's installed CDK CLI, and with npx --no-install cdk only when none is installed", () => {
      const project = fs.mkdtempSync(path.join(root, 'project-'));
      expect(cdkCommand(project)).toEqual(['npx', '--no-install', 'cdk']);
      const installed = path.join(project, 'node_modules', '.bin', 'cdk');
      fs.mkdirSync(path.dirname(installed), { recursive: true });
      fs.writeFileSync(installed, '');
      expect(cdkCommand(project)).toEqual([installed]);
    });

    it('exits 2 with a message for a directory that is not an assembly', () => {
      const { status, stderr } = runCli(['--base-dir', root, '--head-dir', dirs.memory]);
      expect(status).toBe(2);
      expect(stderr).toContain('is not a cloud assembly (no manifest.json)');
    });
  });

  describe('stale consumers', () => {
    const worker = (name: string, variant: Parameters<typeof synthWorker>[2]) => readAssemblyTemplates(synthWorker(root, name, variant));

    it('fails when a task definition another stack reads by revision is replaced and the reader does not change, naming both stacks and the value', () => {
      const base = worker('worker-base', { memoryMiB: 512, reads: 'revision', references: 'weak' });
      const head = worker('worker-more-memory', { memoryMiB: 1024, reads: 'revision', references: 'weak' });
      const result = summarize(base, head);

      expect(result.stacks.find((s) => s.stackId === 'prod/Jobs')!.status).toBe('unchanged');
      expect(result.staleConsumers).toEqual([
        {
          consumerStackId: 'prod/Jobs',
          consumerLogicalIds: [expect.stringMatching(/^StateMachineRoleDefaultPolicy/)],
          producerStackId: 'prod/Containers',
          output: expect.stringMatching(/ImportTask/),
          reason: expect.stringMatching(/^`ImportTask[0-9A-F]{8}` \(`AWS::ECS::TaskDefinition`\) is replaced$/),
        },
      ]);
      expect(result.verdict).toBe('fail');
      expect(result.exitCode).toBe(1);
      expect(result.markdown.split('\n')[0]).toMatch(/^❌ \*\*FAIL\*\*: 1 stack would keep a stale cross-stack value/);
      expect(result.markdown).toMatch(
        /stale consumer: `prod\/Jobs` .* reads output `\w+` of `prod\/Containers`, where `ImportTask\w+` \(`AWS::ECS::TaskDefinition`\) is replaced/,
      );
    });

    it('fails even with --allow-stateful-replacement, and with strong references too', () => {
      const base = worker('worker-strong-base', { memoryMiB: 512, reads: 'revision', references: 'strong' });
      const head = worker('worker-strong-head', { memoryMiB: 1024, reads: 'revision', references: 'strong' });
      const result = summarize(base, head, { allowStatefulReplacement: true });
      expect(result.staleConsumers).toEqual([
        expect.objectContaining({ consumerStackId: 'prod/Jobs', producerStackId: 'prod/Containers' }),
      ]);
      expect(result.exitCode).toBe(1);
    });

    it('passes when the reader names the family, which no revision changes', () => {
      const base = worker('worker-family-base', { memoryMiB: 512, reads: 'family', references: 'weak' });
      const head = worker('worker-family-head', { memoryMiB: 1024, reads: 'family', references: 'weak' });
      const result = summarize(base, head);
      expect(result.stacks.find((s) => s.stackId === 'prod/Containers')!.replaced).toEqual([
        expect.objectContaining({ resourceType: 'AWS::ECS::TaskDefinition' }),
      ]);
      expect(result.staleConsumers).toEqual([]);
      expect(result.exitCode).toBe(0);
    });

    it('exits 1 from the command line, naming both stacks', () => {
      const baseDir = synthWorker(root, 'worker-cli-base', { memoryMiB: 512, reads: 'revision', references: 'weak' });
      const headDir = synthWorker(root, 'worker-cli-head', { memoryMiB: 2048, reads: 'revision', references: 'weak' });
      const { status, stdout } = runCli(['--base-dir', baseDir, '--head-dir', headDir]);
      expect(status).toBe(1);
      expect(stdout).toMatch(/stale consumer: `prod\/Jobs` .* of `prod\/Containers`/);
    });
  });
});
