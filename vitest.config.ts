import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Checking mode (src/model/model-error.ts): every context a model sees in the tests is
    // frozen, so a guard, action or property that changes one in place fails the test.
    env: { MAILBOX_MODELS_CHECKING: '1' },
  },
});
