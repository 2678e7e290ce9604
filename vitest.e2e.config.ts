import { defineConfig } from 'vitest/config';

// E2E files share one Docker engine and one sshd; they run one file at a time
// and each test gets generous time because real compose calls are slow.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
