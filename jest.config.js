/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is `tsc --noEmit` (npm run typecheck); tests only transpile, which is much faster.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/support/template-serializer.ts'],
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  // Synthesizing three environments is CPU-bound; two workers match the two-core CI machine.
  maxWorkers: 2,
  testTimeout: 60_000,
};
