// Two projects: unit specs beside the code (no I/O) and integration tests under test/
// against the real local stack (Kafka, Postgres, Redis, the vLLM simulator).
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
const moduleNameMapper = { '^@gantry/(.*)$': '<rootDir>/libs/$1/src' };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{apps,libs,src}/**/*.spec.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      transform: { '^.+\\.ts$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
      // testTimeout is not a per-project option; the setup file raises it for integration tests.
      setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
    },
  ],
};
