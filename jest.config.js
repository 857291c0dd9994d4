/**
 * Four projects, by what a test needs to run:
 *
 *   unit         pure domain logic and small tools: no server, no synth; seconds (`npm run test:unit`)
 *   infra        synthesized templates: assertions, policies, cdk-nag, snapshots, the tools that read them
 *   integration  handlers against local engines (dynalite, s3rver), the worker as a process, the
 *                state machine run locally
 *   e2e          the platform run locally end to end (test/e2e)
 *
 * `npm test` runs all of them; `npx jest --selectProjects infra` runs one.
 */

/** What every project shares. */
const common = {
  testEnvironment: 'node',
  // Tests only transpile (type checking is `npm run typecheck`), and jest caches the output.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/domain/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'infra',
      testMatch: ['<rootDir>/test/infra/**/*.test.ts', '<rootDir>/test/tools/**/*.test.ts'],
      snapshotSerializers: ['<rootDir>/test/support/template-serializer.ts'],
      // One synthesis of the whole app for every test file, cached across runs (test/support/synthesis-cache.ts).
      globalSetup: '<rootDir>/test/support/infra-global-setup.ts',
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/test/lambda/**/*.test.ts',
        '<rootDir>/test/store/**/*.test.ts',
        '<rootDir>/test/containers/**/*.test.ts',
        '<rootDir>/test/integration/**/*.test.ts',
        // The local cloud's IAM gateway and identity provider against real SDK clients and engines.
        '<rootDir>/test/local-cloud/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
  // Four workers on the two-core CI machine: many files wait on processes they start (the worker,
  // the CDK CLI, the local cloud's functions) or on engines' timers, and a third and fourth file use
  // the cores meanwhile. Measured on 2 cores, whole suite, warm: 2 workers 78.7 s, 3 workers 74.0 s,
  // 4 workers 61-65 s, 5 workers 72.5 s (more processes than the cores can feed).
  maxWorkers: 4,
  testTimeout: 60_000,
};
