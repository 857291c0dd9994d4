import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, placeholderSettings, type EnvironmentConfig } from '../../lib/config';
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { guardPlaceholders, PLACEHOLDER_RULE_ID } from '../../lib/placeholder-guard';
import { preflight } from '../../tools/preflight';
import { synthesizedApp } from '../support/shared-synthesis';
import { stacksOf, templateOf, testApp } from '../support/synth';

/** prod with values of a real deployment. */
const REAL_PROD: EnvironmentConfig = {
  ...ENVIRONMENTS.prod,
  account: '444455556666',
  alarms: { email: 'oncall@platform.test' },
  containers: {
    ...ENVIRONMENTS.prod.containers,
    certificateArn: 'arn:aws:acm:eu-west-1:444455556666:certificate/6f1c2a9e-3b7d-4c55-9a61-2d8e0f4b7c13',
    exportAllowedCidrs: ['10.20.0.0/16'],
  },
};

describe('placeholder settings', () => {
  it('names every example value of prod: account, zero-UUID certificate, documentation range, example.com email', () => {
    expect(placeholderSettings(ENVIRONMENTS.prod).map((p) => p.setting)).toEqual([
      'ACCOUNTS.prod',
      'ENVIRONMENTS.prod.containers.certificateArn',
      'ENVIRONMENTS.prod.containers.exportAllowedCidrs',
      'ENVIRONMENTS.prod.alarms.email',
    ]);
  });

  it('finds none in a configuration with real values', () => {
    expect(placeholderSettings(REAL_PROD)).toEqual([]);
  });

  it('finds a documentation range among real networks', () => {
    const mixed = { ...REAL_PROD, containers: { ...REAL_PROD.containers, exportAllowedCidrs: ['10.20.0.0/16', '198.51.100.0/24'] } };
    expect(placeholderSettings(mixed)).toEqual([
      { setting: 'ENVIRONMENTS.prod.containers.exportAllowedCidrs', problem: expect.stringContaining('198.51.100.0/24') },
    ]);
  });
});

describe('preflight (run by npm run deploy:<env> before cdk deploy)', () => {
  it('refuses prod with the example values, naming each setting to change', () => {
    const { code, message } = preflight(['prod']);
    expect(code).toBe(1);
    expect(message).toMatch(/^prod cannot be deployed: replace these example values in lib\/config\.ts first\./);
    expect(message).toContain('ACCOUNTS.prod: 333333333333 is an example account ID');
    expect(message).toContain('ENVIRONMENTS.prod.containers.certificateArn: the zero-UUID example certificate');
    expect(message).toContain('ENVIRONMENTS.prod.containers.exportAllowedCidrs: 203.0.113.0/24 is a documentation range');
  });

  it('is an exit code 2 for an unknown environment', () => {
    expect(preflight(['production']).code).toBe(2);
    expect(preflight([]).code).toBe(2);
  });

  it('runs before the CDK CLI in every deploy script', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const env of ENVIRONMENT_NAMES) {
      expect(scripts[`deploy:${env}`]).toBe(`tsx tools/preflight.ts ${env} && cdk deploy '${env}/*'`);
    }
  });

  it('exits 1 from the command line, so the && stops cdk deploy', () => {
    const root = path.join(__dirname, '..', '..');
    const result = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'tools', 'preflight.ts'), 'staging'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ENVIRONMENTS.staging.containers.certificateArn');
  });
});

describe('CloudFormation rule in every stack of an environment with placeholders', () => {
  const stages = synthesizedApp();

  it.each(ENVIRONMENT_NAMES)('%s: every stack carries an assertion that cannot hold, naming each setting', (env) => {
    const settings = placeholderSettings(ENVIRONMENTS[env]);
    expect(settings.length).toBeGreaterThan(0);
    for (const stack of stacksOf(stages[env])) {
      const rule = (
        templateOf(stack).toJSON() as { Rules?: Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }> }
      ).Rules?.[PLACEHOLDER_RULE_ID];
      expect(rule?.Assertions.map((a) => a.AssertDescription)).toEqual(
        settings.map((s) => expect.stringContaining(`Replace ${s.setting} in lib/config.ts before deploying ${env}`)),
      );
      for (const assertion of rule!.Assertions) expect(assertion.Assert).toEqual({ 'Fn::Equals': ['placeholder', 'replaced'] });
    }
  });

  it('adds no rule once every setting holds a real value', () => {
    const stage = new Stage(testApp(), 'prod');
    const stack = new Stack(stage, 'Empty');
    guardPlaceholders(stage, REAL_PROD);
    expect((Template.fromStack(stack).toJSON() as { Rules?: Record<string, unknown> }).Rules?.[PLACEHOLDER_RULE_ID]).toBeUndefined();
  });
});
