/**
 * The seeds' own C as a system under test (`conform <p> --impl c`): builds harness/c/<p>/
 * (the seed's C with the chosen patches, the kernel shim, the scheduler, the protocol's
 * adapter table) with gcc and AddressSanitizer + UBSan, runs a whole suite through the
 * harness's line protocol (harness/c/runner/runner.c) in one process, and hands the replies
 * to the conformance runner as a DriverAdapter, so that the report is the same first-
 * divergence report as for the TypeScript drivers.
 *
 * A memory error ends the process in the sanitizer's report; the adapter then throws at the
 * step whose reply is missing, with that report as the message.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Output } from '../src/model/model.ts';
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import { enabledSetDifference, type EnabledSets } from '../src/testgen/enabled-sets.ts';
import type { TestSuite, VectorEvent } from '../src/testgen/vectors.ts';
import { applyUnifiedDiff } from './unified-diff.ts';

const C_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'c');
const SHARED_DIRS = ['kernel', 'runner'];
const SHARED_SOURCES = [
  'kernel/sched.c',
  'kernel/kshim.c',
  'kernel/virtio_ring.c',
  'runner/runner.c',
  'runner/json.c',
];
const CFLAGS = [
  '-std=gnu11',
  '-g',
  '-O1',
  '-fsanitize=address,undefined',
  '-fno-sanitize-recover=undefined',
  '-fno-omit-frame-pointer',
  '-Wall',
  '-Wno-unused-parameter',
  '-Wno-sign-compare',
  '-Wno-maybe-uninitialized',
];
/** Bump when buildCHarness() changes how it compiles: cached builds are keyed by it. */
const BUILD_RECIPE = 3;
/**
 * detect_leaks=0: each vector ends with a reset that abandons the driver's objects; leaks are
 * a property of one vector, not of the process. The ucontext warning is ASan's standard notice.
 */
const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:detect_stack_use_after_return=0:print_summary=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

/** A user-facing problem with the C harness (no compiler, a patch that does not apply). */
export class CHarnessError extends Error {
  override name = 'CHarnessError';
}

/** The C process died; the message is what it printed (the sanitizer's report). */
export class CHarnessCrash extends Error {
  override name = 'CHarnessCrash';
}

/** The C could do something the model cannot there, or the other way round. */
export class EnabledSetMismatch extends Error {
  override name = 'EnabledSetMismatch';
}

interface PatchEntry {
  patch: string;
  /** The file it patches (relative to the protocol's folder); default: the seed. */
  file?: string;
  variant: string;
  description: string;
  source: string;
  /** Bounds at which the suites show this variant (as a DriverVariant's killBounds). */
  killBounds?: Readonly<Record<string, number>>;
}

/** harness/c/<protocol>/harness.json */
export interface CHarnessManifest {
  protocol: string;
  /** The shim's own test driver (harness/c/selftest/): not a protocol. */
  selftest?: boolean;
  /** The seed's C file, as written (relative to the protocol's folder). */
  seed: string;
  source: string;
  adapter: string;
  include: string[];
  /** The default model's fixes: applied unless their variant (the as-written code) is chosen. */
  fixes: PatchEntry[];
  /** Other code the model has variants for: applied only when their variant is chosen. */
  extras: PatchEntry[];
}

export const AS_WRITTEN = 'as-written';

/** The protocols that have a C harness (a folder with harness.json, not the shim's self-test). */
export function cHarnessProtocols(): string[] {
  return readdirSync(C_ROOT)
    .filter((name) => existsSync(join(C_ROOT, name, 'harness.json')))
    .filter((name) => !loadManifest(name).selftest)
    .sort();
}

export function loadManifest(protocol: string): CHarnessManifest {
  const file = join(C_ROOT, protocol, 'harness.json');
  if (!existsSync(file) || protocol.includes('/')) {
    const known = cHarnessProtocols().join(', ') || '(none)';
    throw new CHarnessError(`no C harness for '${protocol}'; C harnesses: ${known}`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as CHarnessManifest;
}

/** The variants of a C harness: the seed as written, each fix left out, each extra put in. */
export function cVariants(manifest: CHarnessManifest): DriverVariant[] {
  return [
    {
      name: AS_WRITTEN,
      description: `The seed's C as written (${manifest.source}): none of the fix patches.`,
      source: manifest.source,
    },
    ...[...manifest.fixes, ...manifest.extras].map(
      ({ variant, description, source, killBounds }) => ({
        name: variant,
        description,
        source,
        ...(killBounds ? { killBounds } : {}),
      }),
    ),
  ];
}

/**
 * The patches a set of variants builds: every fix but those switched off, plus extras. The seed
 * as written (AS_WRITTEN) leaves out every fix of the seed's own file; a fix of a reconstructed
 * file (the code around the seed) stays unless its own variant is named.
 */
export function patchesFor(manifest: CHarnessManifest, variants: ReadonlySet<string>): string[] {
  for (const name of variants) {
    if (!cVariants(manifest).some((v) => v.name === name)) {
      const known = cVariants(manifest)
        .map((v) => v.name)
        .join(', ');
      throw new CHarnessError(
        `unknown C variant '${name}' for ${manifest.protocol}; variants: ${known}`,
      );
    }
  }
  const fixes = manifest.fixes.filter(
    (fix) =>
      !variants.has(fix.variant) &&
      !(variants.has(AS_WRITTEN) && (fix.file ?? manifest.seed) === manifest.seed),
  );
  return [...fixes, ...manifest.extras.filter((extra) => variants.has(extra.variant))].map(
    (entry) => entry.patch,
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    })
    .sort();
}

function compiler(): string {
  return process.env.CC ?? 'cc';
}

function buildRoot(): string {
  return process.env.MAILBOX_MODELS_C_BUILD ?? join(tmpdir(), 'mailbox-models-c');
}

/**
 * Builds the harness for `protocol` with `patches` applied to the seed; returns the binary.
 * Builds are cached by the hash of every input (sources, patches, compiler, flags).
 */
export function buildCHarness(protocol: string, patches: readonly string[]): string {
  const manifest = loadManifest(protocol);
  const protocolDir = join(C_ROOT, protocol);
  const inputs = [...SHARED_DIRS.map((d) => join(C_ROOT, d)), protocolDir].flatMap(filesUnder);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ cc: compiler(), CFLAGS, patches, recipe: BUILD_RECIPE }));
  for (const file of inputs) hash.update(relative(C_ROOT, file)).update(readFileSync(file));
  const key = hash.digest('hex').slice(0, 16);
  const dir = join(buildRoot(), `${protocol}-${key}`);
  const binary = join(dir, protocol);
  if (existsSync(binary)) return binary;

  mkdirSync(dir, { recursive: true });
  // A file as written compiles from the repository's copy, so that reports name its lines; a
  // patched one from a copy in the build folder (reported as build/<file>). The seed is
  // HARNESS_SEED; another patched file F is HARNESS_FILE_<F> (the adapter includes it).
  const entries = [...manifest.fixes, ...manifest.extras];
  const fileOf = (patch: string) =>
    entries.find((entry) => entry.patch === patch)?.file ?? manifest.seed;
  const patchedFiles = new Map<string, string>();
  for (const file of new Set([manifest.seed, ...patches.map(fileOf)])) {
    const mine = patches.filter((patch) => fileOf(patch) === file);
    if (mine.length === 0) {
      patchedFiles.set(file, join(protocolDir, file));
      continue;
    }
    let text = readFileSync(join(protocolDir, file), 'utf8');
    for (const patch of mine) {
      try {
        text = applyUnifiedDiff(text, readFileSync(join(protocolDir, patch), 'utf8'));
      } catch (error) {
        throw new CHarnessError(
          `${protocol}: ${patch} does not apply: ${(error as Error).message}`,
        );
      }
    }
    const target = join(dir, file);
    writeFileSync(`${target}.${process.pid}.tmp`, text);
    renameSync(`${target}.${process.pid}.tmp`, target); // a parallel build reads it whole
    patchedFiles.set(file, target);
  }
  const seedFile = patchedFiles.get(manifest.seed)!;
  const fileDefines = [...patchedFiles]
    .filter(([file, path]) => file !== manifest.seed && path.startsWith(dir))
    .map(([file, path]) => `-DHARNESS_FILE_${file.replace(/[^A-Za-z0-9]/g, '_')}="${path}"`);
  const tmp = `${binary}.${process.pid}.tmp`;
  const args = [
    ...CFLAGS,
    `-ffile-prefix-map=${dir}=build`,
    `-ffile-prefix-map=${dirname(C_ROOT)}/=harness/`,
    `-DHARNESS_SEED="${seedFile}"`,
    ...fileDefines,
    `-I${join(C_ROOT, 'kernel', 'include')}`,
    ...manifest.include.map((inc) => `-I${join(protocolDir, inc)}`),
    ...SHARED_SOURCES.map((source) => join(C_ROOT, source)),
    join(protocolDir, manifest.adapter),
    '-o',
    tmp,
  ];
  const result = spawnSync(compiler(), args, { encoding: 'utf8' });
  if (result.error) {
    throw new CHarnessError(
      `cannot run the C compiler '${compiler()}' (${(result.error as NodeJS.ErrnoException).code}): ` +
        'install gcc (Debian: apt-get install gcc) or set CC',
    );
  }
  if (result.status !== 0) {
    throw new CHarnessError(
      `${protocol}: the C harness does not compile:\n${result.stderr.trim()}`,
    );
  }
  renameSync(tmp, binary); // atomic: a parallel build of the same key is harmless
  return binary;
}

/** One reply of the harness process (runner.c). */
export interface CReply {
  outputs?: Output[];
  log?: string[];
  crossed?: string[];
  enabled?: VectorEvent[];
  refused?: string;
  error?: string;
}

export interface CRunOptions {
  /** "kernel": timers fire as the kernel's do; "model" (default): as the adapter's model says. */
  timers?: 'model' | 'kernel';
  /** Ask for the events possible after each step. */
  enabled?: boolean;
  /** Ask for the yield points each step passed without stopping. */
  crossed?: boolean;
}

export interface CDriverOptions extends Pick<CRunOptions, 'timers'> {
  /** Run every vector even after one kills the process (a new process for the rest). */
  restart?: boolean;
  /**
   * The model's enabled events along a suite's vectors: when given, each step's C enabled set
   * must equal the model's (a refusal test in both directions), besides the outputs. Called
   * for parts of a suite (the vectors a run reaches); cached per suite by the driver.
   */
  modelEnabled?: (suite: Pick<TestSuite, 'bounds' | 'variants' | 'vectors'>) => EnabledSets;
}

export interface CRun {
  /** Per vector: the reply to its reset, then one per step, as far as the process got. */
  replies: CReply[][];
  /** Per vector that killed the process: the sanitizer's (or the harness's) report. */
  crashes: Record<number, string>;
}

/** The part of stderr that says what happened, without ASan's shadow-memory dump. */
export function sanitizerReport(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((line) => !/WARNING: ASan doesn't fully support makecontext/.test(line));
  const start = lines.findIndex((line) =>
    /ERROR: AddressSanitizer|runtime error:|^BUG: |^harness: |ERROR: LeakSanitizer/.test(line),
  );
  if (start < 0) return lines.join('\n').trim();
  const shadow = lines.findIndex((line, i) => i > start && /^Shadow bytes around/.test(line));
  const body = lines.slice(start, shadow < 0 ? undefined : shadow);
  const summary = lines.find(
    (line, i) => i >= (shadow < 0 ? lines.length : shadow) && /^SUMMARY:/.test(line),
  );
  return [...body, ...(summary ? [summary] : [])].join('\n').trim();
}

const isEpipe = (error: Error | undefined) =>
  (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/** One process over `vectors`: the replies it gave, and its report if it died. */
function runProcess(
  binary: string,
  protocol: string,
  bounds: TestSuite['bounds'],
  vectors: TestSuite['vectors'],
  options: CRunOptions,
): { replies: CReply[][]; crash?: string } {
  const lines: string[] = [];
  for (const vector of vectors) {
    lines.push(JSON.stringify({ op: 'reset', bounds, options }));
    for (const step of vector.steps) lines.push(JSON.stringify({ op: 'apply', event: step.event }));
  }
  const result = spawnSync(binary, [], {
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, ...SANITIZER_ENV },
  });
  // EPIPE: the process died (a sanitizer report) before it read all its input.
  const died = result.status !== 0 || result.signal !== null || isEpipe(result.error);
  if (result.error && !isEpipe(result.error)) {
    throw new CHarnessError(`cannot run ${binary}: ${result.error.message}`);
  }
  const out = (result.stdout ?? '').split('\n').filter((line) => line !== '');
  const hello = out.length > 0 ? (JSON.parse(out[0]) as { protocol?: string }) : {};
  if (hello.protocol !== protocol) {
    throw new CHarnessError(
      `${binary} is not the ${protocol} harness: ${out[0] ?? result.stderr.trim()}`,
    );
  }
  const replies: CReply[][] = [];
  let next = 1;
  for (const vector of vectors) {
    const mine: CReply[] = [];
    for (let i = 0; i <= vector.steps.length && next < out.length; i++) {
      mine.push(JSON.parse(out[next++]) as CReply);
    }
    replies.push(mine);
  }
  return { replies, ...(died ? { crash: sanitizerReport(result.stderr ?? '') } : {}) };
}

/**
 * Runs every vector of `suite` through the harness binary, in one process. With `restart`, a
 * vector that kills the process is recorded and the rest run in a new one (the differential
 * compares every vector); without, the vectors after it get no replies (conform stops at
 * the first divergence anyway).
 */
export function runCSuite(
  binary: string,
  protocol: string,
  suite: Pick<TestSuite, 'bounds' | 'vectors'>,
  options: CRunOptions = {},
  restart = false,
): CRun {
  const run: CRun = { replies: [], crashes: {} };
  let from = 0;
  while (from < suite.vectors.length) {
    const part = suite.vectors.slice(from);
    const { replies, crash } = runProcess(binary, protocol, suite.bounds, part, options);
    let done = 0;
    while (done < part.length && replies[done]?.length === part[done].steps.length + 1) {
      run.replies[from + done] = replies[done];
      done++;
    }
    if (done === part.length) break;
    run.replies[from + done] = replies[done] ?? [];
    run.crashes[from + done] = crash ?? 'the C harness stopped answering (no report on stderr)';
    if (!restart) break;
    from += done + 1;
  }
  return run;
}

/** The first run of a suite covers this many vectors, each next run twice as many (up to
 * CHUNK_MAX): a suite that kills a variant early costs what it ran, not the whole suite. */
const CHUNK_FIRST = 64;
const CHUNK_MAX = 4096;

/**
 * Hands the C's replies to runVector() as if it answered step by step. The suite runs in
 * chunks of vectors, each in one process, started when runVector() reaches its first vector
 * (runSuite() stops at the first divergence: the rest never runs). `enabledOf` gives the
 * model's enabled sets for a range of vectors.
 */
function chunkedAdapter(
  runChunk: (from: number, to: number) => CRun,
  vectors: number,
  enabledOf?: (from: number, to: number) => EnabledSets,
): DriverAdapter {
  let vector = -1;
  let step = 0;
  let chunk = { from: 0, to: 0, size: CHUNK_FIRST / 2 };
  let run: CRun = { replies: [], crashes: {} };
  let enabled: EnabledSets | undefined;
  const reply = (): CReply => {
    const found = run.replies[vector - chunk.from]?.[step++];
    if (found) return found;
    const report = run.crashes[vector - chunk.from];
    throw new CHarnessCrash(
      report === undefined
        ? 'the C harness is not running (an earlier vector killed it)'
        : `the C harness died here:\n${report}`,
    );
  };
  const outputsOf = (answer: CReply): Output[] => {
    if (answer.error !== undefined) throw new Error(`the C harness: ${answer.error}`);
    if (answer.refused !== undefined) throw new NotEnabledError(answer.refused);
    const expected = enabled?.[vector - chunk.from]?.[step - 1];
    const difference = expected && enabledSetDifference(expected, answer.enabled ?? [], 'the C');
    if (difference) throw new EnabledSetMismatch(difference);
    return answer.outputs ?? [];
  };
  return {
    reset() {
      vector++;
      step = 0;
      if (vector >= chunk.to && vector < vectors) {
        const size = Math.min(chunk.size * 2, CHUNK_MAX);
        chunk = { from: vector, to: Math.min(vector + size, vectors), size };
        run = runChunk(chunk.from, chunk.to);
        enabled = enabledOf?.(chunk.from, chunk.to);
      }
      return outputsOf(reply());
    },
    apply() {
      return outputsOf(reply());
    },
  };
}

/**
 * The C harness of `protocol` as a DriverDefinition: each create() builds the variant (cached)
 * and runs the suite's vectors as runVector() reaches them, a chunk per process; the model's
 * enabled sets are computed once per suite and vector, whatever the variant.
 */
export function cDriver(protocol: string, options: CDriverOptions = {}): DriverDefinition {
  const manifest = loadManifest(protocol);
  const { modelEnabled, restart = false, ...run } = options;
  const enabledCache = new WeakMap<TestSuite, Array<EnabledSets[number] | undefined>>();
  const enabledOf = (suite: TestSuite) => (from: number, to: number) => {
    const cache = enabledCache.get(suite) ?? [];
    enabledCache.set(suite, cache);
    if (cache.slice(from, to).some((sets) => sets === undefined) || cache.length < to) {
      const sets = modelEnabled!({ ...suite, vectors: suite.vectors.slice(from, to) });
      sets.forEach((perVector, i) => (cache[from + i] = perVector));
    }
    return cache.slice(from, to) as EnabledSets;
  };
  return {
    protocol,
    file: relative(process.cwd(), resolve(C_ROOT, protocol, manifest.seed)),
    variants: cVariants(manifest),
    create(variants, suite) {
      if (!suite) throw new CHarnessError('the C harness runs whole suites: pass the suite');
      const binary = buildCHarness(protocol, patchesFor(manifest, variants));
      const runChunk = (from: number, to: number) =>
        runCSuite(
          binary,
          protocol,
          { bounds: suite.bounds, vectors: suite.vectors.slice(from, to) },
          { ...run, enabled: !!modelEnabled },
          restart,
        );
      return chunkedAdapter(
        runChunk,
        suite.vectors.length,
        modelEnabled ? enabledOf(suite) : undefined,
      );
    },
  };
}
