/**
 * Two tiers in one jest run. `unit`: pure tests (test/unit), no services, seconds
 * (`npm run test:unit`). `stack`: workflow, integration, e2e and chaos tests against the real
 * local stack, started by the global setup when it is not already running; files run one at a
 * time and each isolates itself (own database, bucket prefix, Typesense collections, task queue).
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
  ],
  // ESM-only dependencies (cookie@2 under fastify's inject) that jest's CommonJS runtime cannot require.
  '^.+/node_modules/cookie/.+\\.js$': [
    '@swc/jest',
    { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform,
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    {
      ...shared,
      displayName: 'stack',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  maxWorkers: 1,
  testTimeout: 120000,
  verbose: true,
};
