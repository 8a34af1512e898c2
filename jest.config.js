/**
 * One jest run for the whole backend. Tests share the real local stack (started by the global
 * setup when it is not already running), so they run one file at a time: each file isolates
 * itself with its own database, bucket prefix, Typesense collections and task queue.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
    // ESM-only dependencies (cookie@2 under fastify's inject) that jest's CommonJS runtime cannot require.
    '^.+/node_modules/cookie/.+\\.js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 120000,
  verbose: true,
};
