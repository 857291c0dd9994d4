/**
 * Pure diff logic for the pull-request `cdk diff`: takes the templates of two
 * cloud assemblies (keyed by stack display id, e.g. `dev/Stateful`), classifies
 * every resource change, decides whether the change set is safe to merge and
 * renders a Markdown summary. No I/O happens here.
 */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import type { ResourceDifference, TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { intrinsicsIn, referencesIn } from './intrinsics';

/**
 * Resource types that hold data: replacing or removing one of them loses (or
 * orphans) that data, so the PR check fails on it unless explicitly allowed.
 *
 * Not in the list on purpose: AWS::SNS::Topic (it keeps no messages, so a
 * replacement only breaks subscriptions, which the diff shows anyway).
 * Any other resource also counts as stateful when its template entry carries
 * a `DeletionPolicy` or `UpdateReplacePolicy` of `Retain`, `RetainExceptOnCreate`
 * or `Snapshot` (see {@link RETAINING_POLICIES}).
 */
export const STATEFUL_RESOURCE_TYPES: readonly string[] = [
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::EFS::FileSystem',
];

/** Deletion/replace policies that mark a resource as holding data worth keeping. */
export const RETAINING_POLICIES: readonly string[] = ['Retain', 'RetainExceptOnCreate', 'Snapshot'];

/** Resource types left out of the summary: they change on every construct edit and deploy nothing. */
const IGNORED_RESOURCE_TYPES: readonly string[] = ['AWS::CDK::Metadata'];

/**
 * Resource metadata left out of the comparison: `aws:asset:path` (and its companions) names the
 * folder an asset was staged in on this machine (a random temporary folder for CDK custom resource
 * providers under `--no-staging`), so it changes on every synth. It deploys nothing: a changed
 * asset shows in the property that holds its hash (a function's `Code`).
 */
const IGNORED_METADATA_PREFIX = 'aws:asset:';

/** A CloudFormation template as synthesized (only the parts this tool reads are typed). */
export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly [key: string]: unknown;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** Templates keyed by stack display id (`<stage>/<stack>`). */
export type TemplateMap = Readonly<Record<string, Template>>;

export type ChangeKind = 'added' | 'modified' | 'replaced' | 'removed';

export interface ResourceChangeSummary {
  readonly logicalId: string;
  readonly resourceType: string;
  /** The construct path (`aws:cdk:path` metadata), when the template has it. */
  readonly constructPath?: string;
  readonly kind: ChangeKind;
  /** Why the resource counts as stateful, or undefined when it does not. */
  readonly statefulReason?: string;
  /** Human-readable explanations: changed properties, what forces the replacement, rename hints. */
  readonly details: readonly string[];
  /** For replacements: `true` when CloudFormation will replace, `false` when it only may. */
  readonly certainReplacement?: boolean;
}

export interface StackSummary {
  /** Display id, e.g. `dev/Stateful`. */
  readonly stackId: string;
  /** The stage (first path segment), or `(app)` for top-level stacks. */
  readonly environment: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly added: readonly ResourceChangeSummary[];
  readonly modified: readonly ResourceChangeSummary[];
  readonly replaced: readonly ResourceChangeSummary[];
  readonly removed: readonly ResourceChangeSummary[];
  /** IAM statement changes as table rows (first row is the header); empty when none. */
  readonly iamStatements: readonly (readonly string[])[];
  /** IAM managed policy attachment changes as table rows (first row is the header); empty when none. */
  readonly iamManagedPolicies: readonly (readonly string[])[];
  readonly permissionsBroadened: boolean;
  /** Security group rule changes as table rows (first row is the header); empty when none. */
  readonly securityGroupRules: readonly (readonly string[])[];
  /** Logical ids of outputs added, removed or changed. */
  readonly outputChanges: readonly string[];
}

/** A stateful resource that would be replaced or removed. */
export interface BlockingChange {
  readonly stackId: string;
  readonly change: ResourceChangeSummary;
}

export type Verdict = 'no-changes' | 'ok' | 'allowed-with-warning' | 'fail';

/**
 * A stack that reads, through a cross-stack reference, a value this change replaces or changes,
 * while its own template stays the same: the CDK CLI skips deploying a stack whose template is
 * unchanged, and a weak reference (`Fn::GetStackOutput`) is resolved only when its consumer
 * deploys, so the consumer keeps the old value (a strong one, `Fn::ImportValue`, makes the
 * producer's update fail while the export is in use).
 */
export interface StaleConsumer {
  /** The stack that reads the value, e.g. `prod/Jobs`. */
  readonly consumerStackId: string;
  /** The resources of the consumer that read it. */
  readonly consumerLogicalIds: readonly string[];
  /** The stack that produces it, e.g. `prod/Containers`. */
  readonly producerStackId: string;
  /** The output (or export) it is read through. */
  readonly output: string;
  /** What changes: the replaced resource (`ImportJobTaskDefinition… (AWS::ECS::TaskDefinition) is replaced`) or the output's value. */
  readonly reason: string;
}

export interface DiffSummary {
  readonly stacks: readonly StackSummary[];
  readonly blocking: readonly BlockingChange[];
  /** Consumers that would keep an old cross-stack value; any fails the check. */
  readonly staleConsumers: readonly StaleConsumer[];
  readonly verdict: Verdict;
  /** 0 when safe (or allowed), 1 when a stateful resource would be replaced or removed, or a consumer would go stale. */
  readonly exitCode: 0 | 1;
  readonly markdown: string;
}

export interface SummarizeOptions {
  /** Turn a failing verdict into a pass with a warning. @default false */
  readonly allowStatefulReplacement?: boolean;
  /** Label for the base side in the heading, e.g. `origin/main`. @default 'base' */
  readonly baseLabel?: string;
  /** Label for the head side in the heading. @default 'head' */
  readonly headLabel?: string;
  /** Extra lines (notes from the CLI, e.g. "base had no app") shown under the verdict. @default [] */
  readonly notes?: readonly string[];
  /**
   * The display id of each CloudFormation stack name of the head assembly (`prod-Jobs` →
   * `prod/Jobs`), to follow `Fn::GetStackOutput`. @default the name with `-` read as `/`
   */
  readonly stackNames?: Readonly<Record<string, string>>;
}

/** Why a template resource counts as stateful, or undefined if it does not. */
export function statefulReason(resource: TemplateResource | undefined): string | undefined {
  if (!resource) return undefined;
  if (STATEFUL_RESOURCE_TYPES.includes(resource.Type)) return 'stateful type';
  for (const key of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
    const policy = resource[key];
    if (typeof policy === 'string' && RETAINING_POLICIES.includes(policy)) return `${key}: ${policy}`;
  }
  return undefined;
}

/** Diff two assemblies' templates and decide whether the change is safe. */
export function summarize(base: TemplateMap, head: TemplateMap, options: SummarizeOptions = {}): DiffSummary {
  const stackIds = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort(compareStackIds);
  const stacks = stackIds.map((id) => summarizeStack(id, base[id], head[id]));
  addRenameHints(stacks);

  const blocking: BlockingChange[] = stacks.flatMap((stack) =>
    [...stack.replaced, ...stack.removed]
      .filter((change) => change.statefulReason !== undefined)
      .map((change) => ({ stackId: stack.stackId, change })),
  );
  const staleConsumers = findStaleConsumers(base, head, stacks, options.stackNames);
  const anyChange = stacks.some((s) => s.status !== 'unchanged');
  let verdict: Verdict;
  if (staleConsumers.length > 0) verdict = 'fail';
  else if (blocking.length > 0) verdict = options.allowStatefulReplacement ? 'allowed-with-warning' : 'fail';
  else verdict = anyChange ? 'ok' : 'no-changes';

  const partial = { stacks, blocking, staleConsumers, verdict, exitCode: verdict === 'fail' ? 1 : 0 } as const;
  return { ...partial, markdown: renderMarkdown(partial, options) };
}

function summarizeStack(stackId: string, oldTemplate: Template | undefined, newTemplate: Template | undefined): StackSummary {
  const diff: TemplateDiff = fullDiff(withoutIgnored(oldTemplate), withoutIgnored(newTemplate));
  const added: ResourceChangeSummary[] = [];
  const modified: ResourceChangeSummary[] = [];
  const replaced: ResourceChangeSummary[] = [];
  const removed: ResourceChangeSummary[] = [];

  for (const logicalId of diff.resources.logicalIds.sort()) {
    const change = diff.resources.get(logicalId);
    if (!change.isDifferent) continue;
    let summary = summarizeResource(logicalId, change);
    if (!newTemplate && summary.kind === 'removed') {
      // `cdk deploy` leaves a stack that left the app in place; `cdk destroy` or a manual delete removes it.
      summary = { ...summary, details: [...summary.details, 'its stack is no longer in the app'] };
    }
    ({ added, modified, replaced, removed })[summary.kind].push(summary);
  }

  const iamStatements = diff.iamChanges.statements.hasChanges ? cleanRows(diff.iamChanges.summarizeStatements()) : [];
  const iamManagedPolicies = diff.iamChanges.managedPolicies.hasChanges ? cleanRows(diff.iamChanges.summarizeManagedPolicies()) : [];
  const securityGroupRules = diff.securityGroupChanges.hasChanges ? cleanRows(diff.securityGroupChanges.summarize()) : [];
  const outputChanges = diff.outputs.logicalIds.filter((id) => diff.outputs.get(id).isDifferent).sort();

  let status: StackSummary['status'];
  if (!oldTemplate) status = 'added';
  else if (!newTemplate) status = 'removed';
  else status = diff.isEmpty || diff.differenceCount === 0 ? 'unchanged' : 'changed';

  return {
    stackId,
    environment: stackId.includes('/') ? stackId.split('/')[0] : '(app)',
    status,
    added,
    modified,
    replaced,
    removed,
    iamStatements,
    iamManagedPolicies,
    permissionsBroadened: diff.permissionsBroadened,
    securityGroupRules,
    outputChanges,
  };
}

function summarizeResource(logicalId: string, change: ResourceDifference): ResourceChangeSummary {
  const oldResource = change.oldValue as TemplateResource | undefined;
  const newResource = change.newValue as TemplateResource | undefined;
  const resourceType = change.newResourceType ?? change.oldResourceType ?? 'unknown';
  const constructPath = cdkPath(newResource) ?? cdkPath(oldResource);
  const base = { logicalId, resourceType, constructPath };

  if (change.isAddition) {
    return { ...base, kind: 'added', statefulReason: statefulReason(newResource), details: [] };
  }
  if (change.isRemoval) {
    const orphaned = change.changeImpact === ResourceImpact.WILL_ORPHAN;
    return {
      ...base,
      kind: 'removed',
      statefulReason: statefulReason(oldResource),
      details: [orphaned ? 'removed from the stack but retained (orphaned) in the account' : 'deleted'],
    };
  }

  const impact = change.changeImpact;
  const details: string[] = [];
  if (change.resourceTypeChanged) {
    details.push(`type changed from \`${change.oldResourceType}\` to \`${change.newResourceType}\` (forces replacement)`);
  }
  for (const [name, diff] of Object.entries(change.propertyUpdates)) {
    if (diff.changeImpact === ResourceImpact.WILL_REPLACE) details.push(`\`${name}\` changed (forces replacement)`);
    else if (diff.changeImpact === ResourceImpact.MAY_REPLACE) details.push(`\`${name}\` changed (may force replacement)`);
    else details.push(`\`${name}\` changed`);
  }
  for (const name of Object.keys(change.otherChanges)) details.push(`\`${name}\` changed`);

  if (impact === ResourceImpact.WILL_REPLACE || impact === ResourceImpact.MAY_REPLACE) {
    // Replacement loses data if either the old or the new definition is stateful.
    const reason = statefulReason(oldResource) ?? statefulReason(newResource);
    // List what forces the replacement first.
    details.sort((a, b) => rank(a) - rank(b));
    return {
      ...base,
      kind: 'replaced',
      statefulReason: reason,
      details,
      certainReplacement: impact === ResourceImpact.WILL_REPLACE,
    };
  }
  return { ...base, kind: 'modified', statefulReason: statefulReason(oldResource), details };
}

function rank(detail: string): number {
  if (detail.includes('(forces replacement)')) return 0;
  if (detail.includes('(may force replacement)')) return 1;
  return 2;
}

/**
 * A removed resource with an added resource of the same type in the same
 * environment is most likely a changed logical id (construct id renamed or
 * moved): CloudFormation deletes and recreates it, so say so next to the removal.
 */
function addRenameHints(stacks: StackSummary[]): void {
  for (const stack of stacks) {
    for (const removal of stack.removed) {
      const sameEnvironment = stacks.filter((s) => s.environment === stack.environment);
      const candidates = sameEnvironment.flatMap((s) =>
        s.added
          .filter((a) => a.resourceType === removal.resourceType)
          .map((a) => (s.stackId === stack.stackId ? `\`${a.logicalId}\`` : `\`${a.logicalId}\` in \`${s.stackId}\``)),
      );
      if (candidates.length > 0) {
        (removal.details as string[]).push(
          `logical ID changed from \`${removal.logicalId}\`? (same type added as ${candidates.join(', ')})`,
        );
      }
    }
  }
}

function withoutIgnored(template: Template | undefined): Record<string, unknown> {
  if (!template) return {};
  const resources = Object.fromEntries(
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => !IGNORED_RESOURCE_TYPES.includes(r.Type))
      .map(([id, r]) => [id, r.Metadata === undefined ? r : { ...r, Metadata: withoutAssetMetadata(r.Metadata) }]),
  );
  return { ...template, Resources: resources };
}

function withoutAssetMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith(IGNORED_METADATA_PREFIX)));
}

function cdkPath(resource: TemplateResource | undefined): string | undefined {
  const value = resource?.Metadata?.['aws:cdk:path'];
  return typeof value === 'string' ? value : undefined;
}

/** The diff library colours its tables with ANSI escapes when it thinks it talks to a terminal. */
function cleanRows(rows: string[][]): string[][] {
  // eslint-disable-next-line no-control-regex
  return rows.map((row) => row.map((cell) => cell.replace(/\u001b\[[0-9;]*m/g, '')));
}

/** Stages in deployment order (dev, staging, prod), then the rest alphabetically. */
function compareStackIds(a: string, b: string): number {
  const order = (id: string) => {
    const env = id.split('/')[0];
    const known = ['dev', 'staging', 'prod'].indexOf(env);
    return known === -1 ? 3 : known;
  };
  return order(a) - order(b) || a.localeCompare(b);
}

// ---------------------------------------------------------------- Stale consumers

/** The logical IDs a value names with `Ref` or `Fn::GetAtt` (pseudo parameters left out). */
function referencedLogicalIds(value: unknown): string[] {
  return referencesIn(value)
    .map((target) => target.logicalId)
    .filter((id) => !id.startsWith('AWS::'));
}

type Outputs = Record<string, { Value?: unknown; Export?: { Name?: unknown } }>;

function outputsOf(template: Template | undefined): Outputs {
  return (template?.Outputs ?? {}) as Outputs;
}

/**
 * Consumers whose template this change leaves as it is, while a value they read from another
 * stack changes: a resource the output names is replaced (a new task definition revision, a
 * replaced queue's new ARN...), or the output's value itself changes (an image URI).
 */
function findStaleConsumers(
  base: TemplateMap,
  head: TemplateMap,
  stacks: readonly StackSummary[],
  stackNames?: Readonly<Record<string, string>>,
): StaleConsumer[] {
  const byId = new Map(stacks.map((stack) => [stack.stackId, stack]));
  const displayId = (stackName: string) => stackNames?.[stackName] ?? Object.keys(head).find((id) => id.replace(/\//g, '-') === stackName);
  const stale = new Map<string, StaleConsumer>();

  for (const [consumerStackId, template] of Object.entries(head)) {
    if (byId.get(consumerStackId)?.status !== 'unchanged') continue;
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      for (const [name, arg] of intrinsicsIn(resource, ['Fn::GetStackOutput', 'Fn::ImportValue'])) {
        let producerStackId: string | undefined;
        let output: string | undefined;
        if (name === 'Fn::GetStackOutput') {
          const ref = arg as { StackName?: unknown; OutputName?: unknown };
          producerStackId = typeof ref.StackName === 'string' ? displayId(ref.StackName) : undefined;
          output = typeof ref.OutputName === 'string' ? ref.OutputName : undefined;
        } else {
          for (const [stackId, producer] of Object.entries(head)) {
            const found = Object.entries(outputsOf(producer)).find(([, o]) => o.Export?.Name === arg);
            if (found !== undefined) [producerStackId, output] = [stackId, found[0]];
          }
        }
        if (producerStackId === undefined || output === undefined) continue;
        const newValue = outputsOf(head[producerStackId])[output]?.Value;
        const oldValue = outputsOf(base[producerStackId])[output]?.Value;
        const replaced = byId.get(producerStackId)?.replaced ?? [];
        const reasons = referencedLogicalIds(newValue).flatMap((id) => {
          const change = replaced.find((c) => c.logicalId === id);
          return change === undefined
            ? []
            : [`\`${id}\` (\`${change.resourceType}\`) is ${change.certainReplacement === false ? 'possibly replaced' : 'replaced'}`];
        });
        if (reasons.length === 0 && oldValue !== undefined && JSON.stringify(oldValue) !== JSON.stringify(newValue))
          reasons.push('its value changes');
        if (reasons.length === 0) continue;
        const key = `${consumerStackId}|${producerStackId}|${output}`;
        const known = stale.get(key);
        stale.set(key, {
          consumerStackId,
          consumerLogicalIds: [...new Set([...(known?.consumerLogicalIds ?? []), logicalId])],
          producerStackId,
          output,
          reason: reasons.join('; '),
        });
      }
    }
  }
  return [...stale.values()];
}

// ---------------------------------------------------------------- Markdown

const VERDICT_LINE: Record<Verdict, (n: number) => string> = {
  'no-changes': () => '✅ **No infrastructure changes.**',
  ok: () => '✅ **OK**: infrastructure changes, but no stateful resource is replaced or removed.',
  'allowed-with-warning': (n) =>
    `⚠️ **PASS WITH WARNING**: ${n} stateful resource${n === 1 ? '' : 's'} would be replaced or removed; allowed by \`--allow-stateful-replacement\`.`,
  fail: (n) =>
    `❌ **FAIL**: ${n} stateful resource${n === 1 ? '' : 's'} would be replaced or removed. If this is intended, re-run with \`--allow-stateful-replacement\`.`,
};

function renderMarkdown(
  result: Pick<DiffSummary, 'stacks' | 'blocking' | 'staleConsumers' | 'verdict'>,
  options: SummarizeOptions,
): string {
  const lines: string[] = [];
  const stale = result.staleConsumers;
  lines.push(
    stale.length > 0
      ? `❌ **FAIL**: ${stale.length} stack${stale.length === 1 ? '' : 's'} would keep a stale cross-stack value (stale consumer).`
      : VERDICT_LINE[result.verdict](result.blocking.length),
  );
  lines.push('');
  lines.push(`CDK diff of \`${options.baseLabel ?? 'base'}\` → \`${options.headLabel ?? 'head'}\`.`);
  for (const note of options.notes ?? []) lines.push('', `> ${note}`);

  if (stale.length > 0) {
    lines.push('', '### Stale consumers', '');
    for (const c of stale) {
      lines.push(
        `- stale consumer: \`${c.consumerStackId}\` (${c.consumerLogicalIds.map((id) => `\`${id}\``).join(', ')}) reads output \`${c.output}\` of \`${c.producerStackId}\`, ` +
          `where ${c.reason}; \`${c.consumerStackId}\`'s template does not change, so \`cdk deploy\` skips it and it keeps the old value. ` +
          'Read a value that does not change on update (a task definition family, an alias, a name), or make the consumer change with it.',
      );
    }
  }

  if (result.blocking.length > 0) {
    lines.push('', '### Stateful resources at risk', '');
    for (const { stackId, change } of result.blocking) {
      const what = change.kind === 'removed' ? 'removed' : change.certainReplacement ? 'replaced' : 'possibly replaced';
      lines.push(
        `- \`${stackId}\` **${change.logicalId}** (\`${change.resourceType}\`, ${change.statefulReason}) would be **${what}**` +
          (change.details.length > 0 ? `: ${change.details.join('; ')}` : ''),
      );
    }
  }

  const changed = result.stacks.filter((s) => s.status !== 'unchanged');
  const environments = [...new Set(changed.map((s) => s.environment))];
  for (const env of environments) {
    lines.push('', `## Environment \`${env}\``);
    for (const stack of changed.filter((s) => s.environment === env)) {
      lines.push(...renderStack(stack));
    }
  }
  const unchanged = result.stacks.filter((s) => s.status === 'unchanged').map((s) => `\`${s.stackId}\``);
  if (unchanged.length > 0) lines.push('', `Unchanged stacks: ${unchanged.join(', ')}.`);
  return lines.join('\n') + '\n';
}

function renderStack(stack: StackSummary): string[] {
  const suffix = stack.status === 'added' ? ' (new stack)' : stack.status === 'removed' ? ' (stack removed)' : '';
  const lines = ['', `### \`${stack.stackId}\`${suffix}`];
  const sections: [string, readonly ResourceChangeSummary[]][] = [
    ['Replaced', stack.replaced],
    ['Removed', stack.removed],
    ['Added', stack.added],
    ['Modified', stack.modified],
  ];
  for (const [title, changes] of sections) {
    if (changes.length === 0) continue;
    lines.push('', `**${title}** (${changes.length})`, '');
    lines.push('| Logical ID | Type | Construct path | Stateful | Details |', '| --- | --- | --- | --- | --- |');
    for (const c of changes) {
      lines.push(
        `| \`${c.logicalId}\` | \`${c.resourceType}\` | ${c.constructPath ? `\`${c.constructPath}\`` : ''} | ` +
          `${c.statefulReason ? `⚠️ ${cell(c.statefulReason)}` : ''} | ${cell(c.details.join('; '))} |`,
      );
    }
  }
  if (stack.iamStatements.length > 0 || stack.iamManagedPolicies.length > 0) {
    lines.push('', `**IAM changes**${stack.permissionsBroadened ? ' (permissions broadened)' : ''}`);
    if (stack.iamStatements.length > 0) lines.push('', ...table(stack.iamStatements));
    if (stack.iamManagedPolicies.length > 0) lines.push('', ...table(stack.iamManagedPolicies));
  }
  if (stack.securityGroupRules.length > 0) {
    lines.push('', '**Security group changes**', '', ...table(stack.securityGroupRules));
  }
  if (stack.outputChanges.length > 0) {
    lines.push('', `Outputs changed: ${stack.outputChanges.map((o) => `\`${o}\``).join(', ')}.`);
  }
  return lines;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const [header, ...body] = rows;
  return [
    `| ${header.map((h) => cell(h) || ' ').join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
