import { complianceOutcome } from '../support/shared-synthesis';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/**
 * The app exactly as bin/app.ts builds it, checked by cdk-nag's AwsSolutions and Serverless packs
 * and the CDK's default rules: the infra tests' shared synthesis runs these checks
 * (test/support/shared-synthesis-build.ts) and keeps their report and the error synth threw.
 */
function synthesizeWithChecks(): { synthError?: string; findings: string[] } {
  const { report, synthError } = complianceOutcome();
  const findings = (report as ValidationReport).pluginReports.flatMap((plugin) =>
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
