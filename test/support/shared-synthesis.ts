/**
 * A read-only view of the shared synthesis (synthesis-cache.ts): per environment and stack, the
 * template as an assertions Template and what the tests read off Stack objects, all from the cloud
 * assembly's manifests. Nothing here constructs the app, so a test file that reads it loads
 * neither lib/ nor most of aws-cdk-lib.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config';
import type { AppTemplates, CfnTemplate } from './template-graph';
import { COMPLIANCE_SYNTH_ERROR_FILE, sharedSynthesis, SYNTHESIS_VARIANTS, type SynthesisVariant } from './synthesis-cache';

interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
}

interface ArtifactManifest {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: {
    readonly directoryName?: string;
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly terminationProtection?: boolean;
  };
  readonly metadata?: Record<string, MetadataEntry[]>;
  readonly additionalMetadataFile?: string;
}

interface AssemblyManifest {
  readonly artifacts: Record<string, ArtifactManifest>;
}

/** One stack as synthesized: its template and its deployment properties. */
export class SynthesizedStack {
  /** The construct ID in its stage: Stateful, Api, Uploads, Jobs, Containers or Operations. */
  readonly id: string;
  /** `dev/Api`: the path of the stack, as `cdk deploy` selects it. */
  readonly path: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly terminationProtection: boolean;
  private cachedTemplate?: Template;
  private cachedLogicalIds?: Map<string, string>;

  constructor(
    private readonly directory: string,
    private readonly artifact: ArtifactManifest,
  ) {
    this.path = artifact.displayName!;
    this.id = this.path.split('/').pop()!;
    this.stackName = artifact.properties!.stackName!;
    this.terminationProtection = artifact.properties!.terminationProtection === true;
    const environment = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment!)!;
    this.account = environment[1];
    this.region = environment[2];
  }

  /** The template as `cdk synth` writes it (read once). */
  get template(): Template {
    this.cachedTemplate ??= Template.fromJSON(
      JSON.parse(fs.readFileSync(path.join(this.directory, this.artifact.properties!.templateFile!), 'utf8')) as Record<string, unknown>,
    );
    return this.cachedTemplate;
  }

  /**
   * The logical ID of the CloudFormation element at a construct path below the stack
   * (`ImportPipeline/StateMachine/Role/Resource`), as `stack.getLogicalId(construct.node.defaultChild)` gives it.
   */
  logicalIdAt(constructPath: string): string {
    const logicalId = this.logicalIds().get(constructPath);
    if (logicalId === undefined) throw new Error(`No CloudFormation element at ${this.path}/${constructPath}`);
    return logicalId;
  }

  /** Every CloudFormation element under a construct path of the stack (`UsersApi`; '' for all), with its path below the stack. */
  elementsUnder(constructPath: string): { path: string; logicalId: string }[] {
    return [...this.logicalIds()]
      .filter(([elementPath]) => constructPath === '' || elementPath.startsWith(`${constructPath}/`))
      .map(([elementPath, logicalId]) => ({ path: elementPath, logicalId }));
  }

  /** Construct path below the stack → logical ID, from the stack's metadata. */
  private logicalIds(): Map<string, string> {
    if (this.cachedLogicalIds === undefined) {
      const metadata =
        this.artifact.additionalMetadataFile === undefined
          ? (this.artifact.metadata ?? {})
          : (JSON.parse(fs.readFileSync(path.join(this.directory, this.artifact.additionalMetadataFile), 'utf8')) as Record<
              string,
              MetadataEntry[]
            >);
      const prefix = `/${this.path}/`;
      this.cachedLogicalIds = new Map(
        Object.entries(metadata).flatMap(([constructPath, entries]) =>
          entries
            .filter((entry) => entry.type === 'aws:cdk:logicalId' && constructPath.startsWith(prefix))
            .map((entry) => [constructPath.slice(prefix.length), entry.data as string] as const),
        ),
      );
    }
    return this.cachedLogicalIds;
  }
}

/** One environment as synthesized: its stacks, in the order the stage creates them, and each by name. */
export interface SynthesizedStage {
  readonly stageName: EnvironmentName;
  /** The account and region every stack of the stage deploys to. */
  readonly account: string;
  readonly region: string;
  readonly stacks: readonly SynthesizedStack[];
  readonly stateful: SynthesizedStack;
  readonly api: SynthesizedStack;
  readonly uploads: SynthesizedStack;
  readonly jobs: SynthesizedStack;
  readonly containers: SynthesizedStack;
  readonly operations: SynthesizedStack;
}

function readManifest(directory: string): AssemblyManifest {
  return JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as AssemblyManifest;
}

/** The single value every stack agrees on (an environment's stacks all deploy to one account and region). */
function shared(stacks: readonly SynthesizedStack[], read: (stack: SynthesizedStack) => string): string {
  const values = [...new Set(stacks.map(read))];
  if (values.length !== 1) throw new Error(`The stacks of one stage disagree: ${values.join(', ')}`);
  return values[0];
}

function readStage(directory: string, stageName: EnvironmentName): SynthesizedStage {
  const stageDirectory = path.join(directory, `assembly-${stageName}`);
  const stacks = Object.values(readManifest(stageDirectory).artifacts)
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
    .map((artifact) => new SynthesizedStack(stageDirectory, artifact));
  const byId = (id: string) => {
    const stack = stacks.find((candidate) => candidate.id === id);
    if (stack === undefined) throw new Error(`No stack ${stageName}/${id} in the synthesis`);
    return stack;
  };
  return {
    stageName,
    account: shared(stacks, (stack) => stack.account),
    region: shared(stacks, (stack) => stack.region),
    stacks,
    stateful: byId('Stateful'),
    api: byId('Api'),
    uploads: byId('Uploads'),
    jobs: byId('Jobs'),
    containers: byId('Containers'),
    operations: byId('Operations'),
  };
}

let stages: Record<EnvironmentName, SynthesizedStage> | undefined;

/**
 * The whole app, every environment, synthesized once for all test files (without bundling:
 * bundling is checked by the real synth in CI and by test/infra/template-serializer.test.ts).
 */
export function synthesizedApp(): Record<EnvironmentName, SynthesizedStage> {
  if (stages === undefined) {
    const directory = sharedSynthesis();
    stages = Object.fromEntries(ENVIRONMENT_NAMES.map((name) => [name, readStage(directory, name)])) as Record<
      EnvironmentName,
      SynthesizedStage
    >;
  }
  return stages;
}

/** Every environment's templates by stack name, as the app-wide policies read them (test/support/template-graph.ts). */
export function appTemplatesByEnvironment(): Record<EnvironmentName, AppTemplates> {
  const stages = synthesizedApp();
  return Object.fromEntries(
    ENVIRONMENT_NAMES.map((env) => [
      env,
      Object.fromEntries(stages[env].stacks.map((stack) => [stack.stackName, stack.template.toJSON() as CfnTemplate])),
    ]),
  ) as Record<EnvironmentName, AppTemplates>;
}

/** A configuration the tests need beside the shipped one (SYNTHESIS_VARIANTS), synthesized with the app. */
export function synthesizedVariant(name: SynthesisVariant): SynthesizedStage {
  return readStage(path.join(sharedSynthesis(), 'variants', name), SYNTHESIS_VARIANTS[name].environment);
}

/** What the synthesis's checks found: cdk-nag's and the built-in validation's report, and the error synth threw for them, if any. */
export function complianceOutcome(): { report: unknown; synthError?: string } {
  const directory = sharedSynthesis();
  const report = JSON.parse(fs.readFileSync(path.join(directory, 'validation-report.json'), 'utf8')) as unknown;
  const errorFile = path.join(directory, COMPLIANCE_SYNTH_ERROR_FILE);
  return fs.existsSync(errorFile) ? { report, synthError: fs.readFileSync(errorFile, 'utf8') } : { report };
}
