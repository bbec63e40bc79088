/**
 * Import rules that a tool checks, not a reader (`npm run lint` runs `depcruise`).
 * Each rule says why it exists; `npx depcruise --config .dependency-cruiser.cjs <paths>` lists
 * the violations with the offending import.
 */
const STAGES_INSIDE = '^src/(model|explore|fuzz|testgen|lint)/';
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means two modules can only be understood, tested and loaded together (and ESM ' +
        'cycles load a half-initialised module). Type-only imports count too: they couple the ' +
        'files just the same for a reader.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-knows-no-protocol',
      severity: 'error',
      comment:
        'The engine works from the registries (machines/registry.ts, drivers/registry.ts) so that ' +
        'a protocol is added in one place and the engine never depends on one by name.',
      from: { path: '^src/' },
      to: {
        path: '^(machines|properties|drivers)/',
        pathNot: '^(machines|drivers)/registry\\.ts$',
      },
    },
    {
      name: 'only-the-cli-loads-registries',
      severity: 'error',
      comment:
        'The inner stages take a ModelDefinition as an argument; only the CLI (and the docs ' +
        'script) choose protocols, so the stages stay testable on a fixture model.',
      from: { path: STAGES_INSIDE },
      to: { path: '^(machines|drivers)/registry\\.ts$' },
    },
    {
      name: 'drivers-do-not-see-the-model',
      severity: 'error',
      comment:
        'A driver is the system under test: if it imported the model or its properties, ' +
        'conformance would check the model against itself.',
      from: { path: '^(drivers|harness)/' },
      to: { path: '^(machines|properties)/' },
    },
    {
      name: 'models-do-not-see-drivers',
      severity: 'error',
      comment: 'The model is the specification; it must not be shaped by an implementation.',
      from: { path: '^(machines|properties)/' },
      to: { path: '^(drivers|harness)/' },
    },
    {
      name: 'machines-do-not-see-properties',
      severity: 'error',
      comment:
        'Properties read the machine (its types and constants); the registry joins the two. ' +
        'A machine that imported its properties back made every protocol a cycle.',
      from: { path: '^machines/', pathNot: '^machines/registry\\.ts$' },
      to: { path: '^properties/' },
    },
    {
      name: 'inner-stages-do-not-see-outer',
      severity: 'error',
      comment:
        'model, explore, fuzz, testgen and lint are libraries: the CLI and the inspector use them, ' +
        'never the other way, so that each stage runs without a terminal or a browser.',
      from: { path: STAGES_INSIDE },
      to: { path: '^src/(cli|inspect)/' },
    },
    {
      name: 'model-stage-is-the-bottom',
      severity: 'error',
      comment:
        'src/model/ is the contract and the stepper that every other stage builds on; it ' +
        'imports no other stage.',
      from: { path: '^src/model/' },
      to: { path: '^src/(explore|fuzz|testgen|lint|inspect|cli)/' },
    },
    {
      name: 'lint-sees-only-the-model',
      severity: 'error',
      comment:
        'The model lint runs its own checking exploration on the model stage alone, so that ' +
        'the explorer can change its search (stores, workers, symmetry) without moving what ' +
        'the lint judges, and check can run the lint before the explorer.',
      from: { path: '^src/lint/' },
      to: { path: '^src/(explore|fuzz|testgen|inspect|cli)/' },
    },
    {
      name: 'inspect-does-not-see-cli',
      severity: 'error',
      comment:
        'The inspector renders results; the CLI decides what to render and where to write it.',
      from: { path: '^src/inspect/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
