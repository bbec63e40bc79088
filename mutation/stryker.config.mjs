// StrykerJS on one driver (MUTATION_PROTOCOL), with the generated suites as the only tests.
const protocol = process.env.MUTATION_PROTOCOL;
if (!protocol) throw new Error('MUTATION_PROTOCOL is not set: run `npm run mutation`');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.ts' },
  mutate: [`drivers/${protocol}.ts`],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 60_000,
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: `.mutation/${protocol}/report.json` },
  tempDirName: '.mutation/stryker-tmp',
  cleanTempDir: 'always',
  plugins: ['@stryker-mutator/vitest-runner'],
};
