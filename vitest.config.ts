import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The browser tests need ui/dist: build it once, when its sources changed.
    globalSetup: ['./test/support/build-ui.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration suites each start their own nats-server and services; two cores do not
    // gain from running them side by side and the fault tests time out more readily.
    fileParallelism: false,
  },
});
