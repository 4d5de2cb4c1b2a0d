import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    // Removes the folders each test file made (test/helpers/fixtures.ts tempDir).
    setupFiles: ['test/helpers/setup.ts'],
    // The tool's caches go to a folder of the run (XDG_CACHE_HOME), never the caller's ~/.cache.
    // The checkout's top folder, package.json, node_modules and dist/ are left as they were (test/helpers/checkout-unchanged.ts):
    // first, so that its check runs after every other teardown.
    globalSetup: ['test/helpers/checkout-unchanged.ts', 'test/helpers/cache-home.ts'],
    // Most of the suite waits on child processes (cdk, the built CLI, tmux), so two
    // files at a time on two cores; vitest's default would be one (cores - 1).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // No synth helper outlives a test (src/infra/synth-helper.ts): the tests of the helper switch it on in a folder of their own.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', BENCHLING_DEPLOY_SYNTH_HELPER: 'off' },
  },
});
