/**
 * Proofs at the deep bounds, remembered. Exploring a model at its deep bounds can take minutes,
 * so the main job (`npm start`) does not do it unless asked (`--deep`); when a `--deep` run
 * proves every property, it is recorded here with a fingerprint of the sources it ran on
 * (machines/, properties/, src/model/, src/explore/ and package-lock.json), and a later run on
 * the same sources says where the deep bounds were proven instead of "not run". Any change to
 * those sources makes the record stale, and it is not shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY, sourceFingerprint as fingerprintOf } from './source-fingerprint.ts';
import { writeFileAtomic, makeOutputDirectory } from './output-files.ts';

export interface DeepProof {
  protocol: string;
  bounds: Record<string, number>;
  states: number;
  transitions: number;
  seconds: number;
  /** ISO date of the run. */
  provenAt: string;
  fingerprint: string;
}

/** Where proofs are kept, and what the sources they stand for hash to. */
export interface ProofStore {
  file: string;
  fingerprint: string;
}

/** What a proof depends on: the models, their properties, the stepper and the explorer. */
const PROOF_SOURCES = ['machines', 'properties', 'src/model', 'src/explore', 'package-lock.json'];

/** SHA-256 over the names and contents of the sources a proof depends on. */
export function sourceFingerprint(root = REPOSITORY, sources = PROOF_SOURCES): string {
  return fingerprintOf(root, sources);
}

/** The store `npm start` uses: node_modules/.cache, where tools keep what they can rebuild. */
export function defaultProofStore(): ProofStore {
  return {
    file: join(REPOSITORY, 'node_modules', '.cache', 'mailbox-models', 'deep-proofs.json'),
    fingerprint: sourceFingerprint(),
  };
}

function readProofs(store: ProofStore): DeepProof[] {
  try {
    const proofs = JSON.parse(readFileSync(store.file, 'utf8'));
    return Array.isArray(proofs) ? proofs : [];
  } catch {
    return []; // none yet, or unreadable: nothing is claimed
  }
}

const sameBounds = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.keys(a).every((name) => a[name] === b[name]);

/** A proof of `protocol` at exactly `bounds` on the current sources, if one was recorded. */
export function findProof(
  store: ProofStore,
  protocol: string,
  bounds: Record<string, number>,
): DeepProof | undefined {
  return readProofs(store).find(
    (proof) =>
      proof.protocol === protocol &&
      proof.fingerprint === store.fingerprint &&
      sameBounds(proof.bounds, bounds),
  );
}

/** Records a proof, replacing any older one of the same protocol and bounds. */
export function recordProof(store: ProofStore, proof: Omit<DeepProof, 'fingerprint'>): void {
  const kept = readProofs(store).filter(
    (old) => !(old.protocol === proof.protocol && sameBounds(old.bounds, proof.bounds)),
  );
  const dir = store.file.slice(0, store.file.lastIndexOf('/'));
  try {
    for (const part of [join(dir, '..'), dir]) makeOutputDirectory(part);
    writeFileAtomic(
      store.file,
      JSON.stringify([...kept, { ...proof, fingerprint: store.fingerprint }], null, 2) + '\n',
    );
  } catch {
    // A cache that cannot be written costs only the next run's "not run": not an error.
  }
}
