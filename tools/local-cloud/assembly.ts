import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactType, Manifest, type AssemblyManifest, type AwsCloudFormationStackProperties } from '@aws-cdk/cloud-assembly-schema';

/** One CloudFormation resource as the template declares it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

export interface CloudFormationTemplate {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  readonly Parameters?: Record<string, { Type: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** A stack of the assembly: its deployed name, its template and where its assets are. */
export interface AssemblyStack {
  readonly artifactId: string;
  readonly stackName: string;
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly template: CloudFormationTemplate;
  /** The folder the template's relative asset paths are relative to. */
  readonly directory: string;
  /** The stack's asset manifest (file and Docker image assets), if it has one. */
  readonly assets: AssetManifestContents | undefined;
}

export interface AssetManifestContents {
  readonly files: Record<string, { source: { path?: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
  readonly dockerImages: Record<
    string,
    {
      source: { directory?: string; dockerFile?: string; dockerBuildArgs?: Record<string, string>; dockerBuildTarget?: string };
      destinations: Record<string, { imageTag: string; repositoryName: string }>;
    }
  >;
}

/**
 * Reads every CloudFormation stack of a cloud assembly, following nested assemblies (one per CDK
 * Stage), with the CDK's own manifest loader (@aws-cdk/cloud-assembly-schema), which validates
 * the manifest against the schema version that wrote it.
 */
export function readAssembly(directory: string, stage?: string): AssemblyStack[] {
  const stacks: AssemblyStack[] = [];
  collect(directory, stage, stacks);
  return stacks;
}

function collect(directory: string, stage: string | undefined, into: AssemblyStack[]): void {
  const manifest: AssemblyManifest = Manifest.loadAssemblyManifest(path.join(directory, 'manifest.json'));
  const artifacts = manifest.artifacts ?? {};
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (artifact.type === ArtifactType.NESTED_CLOUD_ASSEMBLY) {
      const properties = artifact.properties as { directoryName: string; displayName?: string };
      const name = properties.displayName ?? properties.directoryName;
      if (stage !== undefined && name !== stage) continue;
      collect(path.join(directory, properties.directoryName), undefined, into);
      continue;
    }
    if (artifact.type !== ArtifactType.AWS_CLOUDFORMATION_STACK) continue;
    const properties = artifact.properties as AwsCloudFormationStackProperties;
    const environment = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    const known = (value: string | undefined) => (value === undefined || value.startsWith('unknown-') ? undefined : value);
    const assetManifestId = (artifact.dependencies ?? []).find((dependency) => artifacts[dependency]?.type === ArtifactType.ASSET_MANIFEST);
    let assets: AssetManifestContents | undefined;
    if (assetManifestId !== undefined) {
      const file = (artifacts[assetManifestId].properties as { file: string }).file;
      const loaded = Manifest.loadAssetManifest(path.join(directory, file));
      assets = {
        files: (loaded.files ?? {}) as AssetManifestContents['files'],
        dockerImages: (loaded.dockerImages ?? {}) as AssetManifestContents['dockerImages'],
      };
    }
    into.push({
      artifactId,
      stackName: properties.stackName ?? artifactId,
      account: known(environment?.[1]),
      region: known(environment?.[2]),
      template: JSON.parse(fs.readFileSync(path.join(directory, properties.templateFile), 'utf8')) as CloudFormationTemplate,
      directory,
      assets,
    });
  }
}

/** The stage (nested assembly) names of an assembly, e.g. ["dev", "staging", "prod"]. */
export function stagesOf(directory: string): string[] {
  const manifest = Manifest.loadAssemblyManifest(path.join(directory, 'manifest.json'));
  return Object.values(manifest.artifacts ?? {})
    .filter((artifact) => artifact.type === ArtifactType.NESTED_CLOUD_ASSEMBLY)
    .map((artifact) => {
      const properties = artifact.properties as { directoryName: string; displayName?: string };
      return properties.displayName ?? properties.directoryName;
    });
}
