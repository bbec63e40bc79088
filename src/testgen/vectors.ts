/**
 * JSON test vectors: the one portable format of generated suites (docs/test-vectors.md,
 * docs/test-vectors.schema.json). A harness in any language replays each vector from a reset
 * driver, feeding `event`s in order and comparing the driver's outputs with `outputs`.
 *
 * Serialisation is canonical (object keys sorted, one step per line, no timestamps), so the
 * same model, bounds, generator and seed always give byte-identical files.
 */
import { UsageError } from '../model/config.ts';
import type { Output } from '../model/model.ts';

export const VECTOR_FORMAT = 'mailbox-models-test-vectors';
/** Version 2 added refusal steps and the `enabled` and `observed` fields; version 1 still reads. */
export const VECTOR_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

export type GeneratorName = 'tour' | 'states' | 'random' | 'edges' | 'pairs';
export const GENERATORS: readonly GeneratorName[] = ['tour', 'states', 'random', 'edges', 'pairs'];

export interface VectorEvent {
  type: string;
  [field: string]: unknown;
}

export interface VectorStep {
  event: VectorEvent;
  /** What the model emits on this step, in order: the driver must emit exactly these. */
  outputs: Output[];
  /** The model's state after the step (active leaves, as in traces): for humans. */
  state: string;
  /** Labels of the model transitions this step takes: for coverage, not for comparison. */
  transitions: string[];
  /**
   * A refusal step: the model refuses `event` here, so the driver must refuse it too (its
   * adapter throws NotEnabledError) and stay where it is; `outputs` is empty.
   */
  refused?: true;
  /**
   * After the step: the events of the model's `enabling` types that it enables now, in
   * canonical order. An adapter that reports `enabled()` must report exactly these.
   */
  enabled?: VectorEvent[];
  /** After the step: the model's `observe()` projection, which an adapter's `observe()` must equal. */
  observed?: Record<string, unknown>;
}

export interface TestVector {
  id: string;
  steps: VectorStep[];
}

export interface GeneratorInfo {
  name: GeneratorName;
  /** fast-check seed of the random walks. */
  seed?: number;
  walks?: number;
  maxSteps?: number;
}

export interface SuiteSummary {
  vectors: number;
  steps: number;
  reachableStates: number;
  reachableTransitions: number;
  coveredTransitions: number;
}

export interface TestSuite {
  format: typeof VECTOR_FORMAT;
  /** 1: outputs only; 2: also refusal steps, enabled sets and projections. */
  version: 1 | typeof VECTOR_VERSION;
  protocol: string;
  bounds: Record<string, number>;
  variants: string[];
  generator: GeneratorInfo;
  summary: SuiteSummary;
  /** Outputs the model emits on reset, before any event (usually none). */
  initialOutputs: Output[];
  /** On reset: the model's enabled events of its `enabling` types, and its projection. */
  initialEnabled?: VectorEvent[];
  initialObserved?: Record<string, unknown>;
  vectors: TestVector[];
}

/** Sorts object keys recursively, so that JSON text depends only on the values. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) sorted[key] = sortKeys(field);
    }
    return sorted;
  }
  return value;
}

/** Canonical compact JSON: sorted keys, no spaces. Also how outputs are compared. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The suite as canonical JSON text: readable (one step per line) and byte-stable. */
export function serializeSuite(suite: TestSuite): string {
  const { vectors, ...header } = sortKeys(suite) as TestSuite;
  const lines = ['{'];
  for (const [key, value] of Object.entries(header)) {
    lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  }
  lines.push('  "vectors": [');
  vectors.forEach((vector, v) => {
    lines.push('    {');
    lines.push(`      "id": ${JSON.stringify(vector.id)},`);
    lines.push('      "steps": [');
    vector.steps.forEach((step, s) => {
      lines.push(`        ${JSON.stringify(step)}${s < vector.steps.length - 1 ? ',' : ''}`);
    });
    lines.push('      ]');
    lines.push(`    }${v < vectors.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]');
  lines.push('}');
  return lines.join('\n') + '\n';
}

/* ---------- import with validation ---------- */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Parses and validates a vector file. Every problem is a UsageError naming the file and the
 * JSON path of the first bad field, in one line.
 */
export function parseSuite(text: string, source = 'suite'): TestSuite {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const fail = (path: string, what: string): never => {
    throw new UsageError(`${source}: ${path}: ${what}`);
  };
  if (!isObject(document)) return fail('$', 'must be a JSON object');
  if (document.format !== VECTOR_FORMAT) {
    fail('format', `must be "${VECTOR_FORMAT}" (is this a test-vector file?)`);
  }
  if (!READABLE_VERSIONS.includes(document.version as number)) {
    fail(
      'version',
      `unsupported version ${JSON.stringify(document.version)}; this tool reads ${READABLE_VERSIONS.join(' and ')}`,
    );
  }
  if (typeof document.protocol !== 'string' || document.protocol === '') {
    fail('protocol', 'must be a non-empty string');
  }
  if (!isObject(document.bounds)) fail('bounds', 'must be an object of integers');
  for (const [name, value] of Object.entries(document.bounds as Json)) {
    if (!Number.isInteger(value)) fail(`bounds.${name}`, 'must be an integer');
  }
  checkStringArray(document.variants, 'variants', fail);
  const generator = document.generator;
  if (!isObject(generator)) return fail('generator', 'must be an object');
  if (!GENERATORS.includes(generator.name as GeneratorName)) {
    fail('generator.name', `must be one of ${GENERATORS.join(', ')}`);
  }
  for (const field of ['seed', 'walks', 'maxSteps']) {
    if (generator[field] !== undefined && !Number.isInteger(generator[field])) {
      fail(`generator.${field}`, 'must be an integer');
    }
  }
  checkOutputs(document.initialOutputs, 'initialOutputs', fail);
  if (document.initialEnabled !== undefined) {
    checkOutputs(document.initialEnabled, 'initialEnabled', fail);
  }
  if (document.initialObserved !== undefined && !isObject(document.initialObserved)) {
    fail('initialObserved', 'must be an object');
  }
  if (!Array.isArray(document.vectors)) return fail('vectors', 'must be an array');
  const ids = new Set<string>();
  document.vectors.forEach((vector: unknown, v: number) => {
    const where = `vectors[${v}]`;
    if (!isObject(vector)) return fail(where, 'must be an object');
    if (typeof vector.id !== 'string') fail(`${where}.id`, 'must be a string');
    if (ids.has(vector.id as string)) fail(`${where}.id`, `duplicate id '${vector.id}'`);
    ids.add(vector.id as string);
    if (!Array.isArray(vector.steps)) return fail(`${where}.steps`, 'must be an array');
    vector.steps.forEach((step: unknown, s: number) => {
      const at = `${where}.steps[${s}]`;
      if (!isObject(step)) return fail(at, 'must be an object');
      if (!isObject(step.event) || typeof step.event.type !== 'string') {
        fail(`${at}.event`, "must be an object with a string 'type'");
      }
      checkOutputs(step.outputs, `${at}.outputs`, fail);
      if (step.state !== undefined && typeof step.state !== 'string') {
        fail(`${at}.state`, 'must be a string');
      }
      if (step.transitions !== undefined)
        checkStringArray(step.transitions, `${at}.transitions`, fail);
      if (step.refused !== undefined && step.refused !== true) {
        fail(`${at}.refused`, 'must be true when present');
      }
      if (step.refused === true && (step.outputs as unknown[]).length > 0) {
        fail(`${at}.outputs`, 'must be empty on a refusal step');
      }
      if (step.enabled !== undefined) checkOutputs(step.enabled, `${at}.enabled`, fail);
      if (step.observed !== undefined && !isObject(step.observed)) {
        fail(`${at}.observed`, 'must be an object');
      }
    });
  });
  const vectors = document.vectors as Json[];
  const steps = vectors.reduce((sum, vector) => sum + (vector.steps as unknown[]).length, 0);
  // The summary is informative; recompute what can be recomputed rather than trusting it.
  const summary = isObject(document.summary) ? document.summary : {};
  return {
    ...(document as unknown as TestSuite),
    summary: {
      reachableStates: numberOr(summary.reachableStates),
      reachableTransitions: numberOr(summary.reachableTransitions),
      coveredTransitions: numberOr(summary.coveredTransitions),
      vectors: vectors.length,
      steps,
    },
    vectors: vectors.map((vector) => ({
      id: vector.id as string,
      steps: (vector.steps as Json[]).map((step) => ({
        event: step.event as VectorEvent,
        outputs: step.outputs as Output[],
        state: (step.state as string | undefined) ?? '',
        transitions: (step.transitions as string[] | undefined) ?? [],
        ...(step.refused === true ? { refused: true as const } : {}),
        ...(step.enabled === undefined ? {} : { enabled: step.enabled as VectorEvent[] }),
        ...(step.observed === undefined ? {} : { observed: step.observed as Json }),
      })),
    })),
  };
}

/**
 * The suite as a one-way runner sees it: no refusal steps, no enabled sets, no projections
 * (outputs only). Replaying both shows which divergences only the two-way checks find.
 */
export function outputsOnly(suite: TestSuite): TestSuite {
  return {
    ...suite,
    initialEnabled: undefined,
    initialObserved: undefined,
    vectors: suite.vectors.map((v) => ({
      ...v,
      steps: v.steps
        .filter((s) => !s.refused)
        .map(({ enabled: _e, observed: _o, refused: _r, ...step }) => step),
    })),
  };
}

function numberOr(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function checkStringArray(
  value: unknown,
  path: string,
  fail: (path: string, what: string) => never,
): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    fail(path, 'must be an array of strings');
  }
}

function checkOutputs(
  value: unknown,
  path: string,
  fail: (path: string, what: string) => never,
): void {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  (value as unknown[]).forEach((output, i) => {
    if (!isObject(output) || typeof output.type !== 'string') {
      fail(`${path}[${i}]`, "must be an object with a string 'type'");
    }
  });
}
