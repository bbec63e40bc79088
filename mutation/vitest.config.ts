import { defineConfig } from 'vitest/config';

/** Only the suites replay: the generated suites are the whole test of a driver under mutation. */
export default defineConfig({
  test: {
    include: ['mutation/suites.mutation.ts'],
    testTimeout: 600_000,
  },
});
