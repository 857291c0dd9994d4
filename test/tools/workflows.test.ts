import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

// The deploy and pull-request workflows, read as GitHub reads them.
const WORKFLOWS = path.join(__dirname, '..', '..', '.github', 'workflows');
const text = (name: string) => fs.readFileSync(path.join(WORKFLOWS, name), 'utf8');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}
const workflow = (name: string) => parse(text(name)) as Workflow;

const OWNED = ['deploy.yml', 'pr-diff.yml', 'pr-diff-comment.yml'];

describe.each(OWNED)('%s', (name) => {
  it('pins every action to a full commit SHA, with its version in a trailing comment', () => {
    const uses = text(name)
      .split('\n')
      .filter((line) => /^\s*-?\s*uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('grants no write permission at the top level, and names what it grants (no default token scope)', () => {
    const { permissions } = workflow(name);
    expect(permissions).toBeDefined();
    expect(Object.entries(permissions ?? {}).filter(([, level]) => level !== 'read')).toEqual([]);
  });
});

describe('deploy.yml', () => {
  const { jobs, on } = workflow('deploy.yml');
  const withCredentials = Object.entries(jobs).filter(([, job]) =>
    job.steps.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@')),
  );

  it('runs only on demand, from main or a release tag', () => {
    expect(Object.keys(on)).toEqual(['workflow_dispatch']);
    const first = Object.values(jobs).find((job) => job.needs === undefined)!;
    expect(first.if).toBe("github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v')");
    for (const job of Object.values(jobs)) if (job !== first) expect(job.needs).toBeDefined();
  });

  it('gets AWS credentials in one job, right before the step that deploys, after install and tests ran elsewhere', () => {
    expect(withCredentials).toHaveLength(1);
    const [, deploy] = withCredentials[0];
    const steps = deploy.steps;
    const credentials = steps.findIndex((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(steps.slice(credentials + 1)).toEqual([
      expect.objectContaining({ run: expect.stringMatching(/^npx cdk deploy --app cdk\.out /) }),
    ]);
    // No dependency install script runs where an OIDC token can be minted.
    for (const step of steps.filter((s) => s.run?.includes('npm ci'))) expect(step.run).toContain('--ignore-scripts');
    expect(steps.some((step) => step.run === 'npm test')).toBe(false);
  });

  it('mints an OIDC token only in the deploying job', () => {
    for (const [id, job] of Object.entries(jobs)) {
      expect(job.permissions?.['id-token'] === 'write').toBe(id === withCredentials[0][0]);
    }
  });

  it('tests, refuses placeholders and synthesizes before anything is deployed', () => {
    const [deployId, deploy] = withCredentials[0];
    const verify = jobs[deploy.needs as string];
    expect(verify).toBeDefined();
    expect(deployId).not.toBe(deploy.needs);
    const runs = verify.steps.map((step) => step.run ?? step.uses ?? '');
    expect(runs).toEqual(
      expect.arrayContaining([
        'npm test',
        'npx tsx tools/preflight.ts "$TARGET"',
        expect.stringMatching(/^npx cdk synth --quiet "\$TARGET\/\*"/),
      ]),
    );
    expect(runs.findIndex((r) => r === 'npm test')).toBeLessThan(runs.findIndex((r) => r.startsWith('npx cdk synth')));
  });
});

describe('pr-diff.yml and pr-diff-comment.yml', () => {
  const diff = workflow('pr-diff.yml');
  const comment = workflow('pr-diff-comment.yml');

  it('runs the pull request’s code on pull_request with a read-only token, and uploads the summary', () => {
    expect(Object.keys(diff.on)).toEqual(['pull_request']);
    expect(diff.permissions).toEqual({ contents: 'read' });
    for (const job of Object.values(diff.jobs)) expect(job.permissions).toBeUndefined();
    const steps = Object.values(diff.jobs).flatMap((job) => job.steps);
    expect(steps.some((step) => step.uses?.startsWith('actions/upload-artifact@') && step.with?.name === 'pr-diff')).toBe(true);
    expect(steps.some((step) => step.uses?.startsWith('actions/github-script@'))).toBe(false);
  });

  it('posts it from a workflow_run of pr-diff that never checks out or runs the pull request’s code', () => {
    expect(comment.on).toEqual({ workflow_run: { workflows: ['pr-diff'], types: ['completed'] } });
    const steps = Object.values(comment.jobs).flatMap((job) => job.steps);
    expect(steps.some((step) => step.uses?.startsWith('actions/checkout@'))).toBe(false);
    expect(steps.filter((step) => step.run !== undefined)).toEqual([]);
    const download = steps.find((step) => step.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with).toMatchObject({ name: 'pr-diff', 'run-id': '${{ github.event.workflow_run.id }}' });
    for (const job of Object.values(comment.jobs)) expect(job.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
  });

  it('checks that the artifact’s pull request is still at the commit pr-diff ran on', () => {
    expect(text('pr-diff-comment.yml')).toContain('pr.head.sha !== process.env.HEAD_SHA');
  });
});
