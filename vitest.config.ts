import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // The -j tests split small files (SLUICE_J_CHUNK_BYTES): no minimum of input per thread
    // (parallel/pool.ts THREAD_BYTES) unless a test sets one. Children inherit it.
    env: { SLUICE_J_THREAD_BYTES: '0' },
  },
});
