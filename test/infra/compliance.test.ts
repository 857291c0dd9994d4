import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyComplianceChecks } from '../../lib/compliance';
import { ENVIRONMENT_NAMES, ENVIRONMENTS } from '../../lib/config';
import { addEnvironments } from '../../lib/platform';
import { testApp } from '../support/synth';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** The app exactly as bin/app.ts builds it, checked by cdk-nag's AwsSolutions and Serverless packs and the CDK's default rules. */
function synthesizeWithChecks(): { synthError?: Error; findings: string[] } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  // With the CDK's default-rules validation too, as `cdk synth` runs it.
  const app = testApp({ outdir, validate: true });
  addEnvironments(
    app,
    ENVIRONMENT_NAMES.map((name) => ENVIRONMENTS[name]),
  );
  applyComplianceChecks(app);
  let synthError: Error | undefined;
  try {
    app.synth();
  } catch (error) {
    synthError = error as Error;
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  fs.rmSync(outdir, { recursive: true, force: true });
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((construct) => `${violation.severity} ${violation.ruleName} at ${construct.constructPath}`),
    ),
  );
  return { synthError, findings };
}

describe('compliance (cdk-nag)', () => {
  const result = synthesizeWithChecks();

  it('finds nothing that is not acknowledged, errors or warnings, in any environment', () => {
    expect(result.findings).toEqual([]);
    expect(result.synthError).toBeUndefined();
  });
});
