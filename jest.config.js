// Two projects: unit tests never touch the network; integration tests run the real code against moto_server,
// which each suite starts on its own loopback port (test/support/moto.ts).
const transform = {
  // @middy/core ships ESM only; ts-jest turns it (and our TypeScript) into CommonJS for Jest's module loader.
  '^.+\\.[tj]s$': [
    'ts-jest',
    { tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true } },
  ],
};
const shared = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: [...shared.setupFilesAfterEnv, '<rootDir>/test/support/integration-setup.ts'],
    },
  ],
};
