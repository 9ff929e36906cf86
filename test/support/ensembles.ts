/** Ensemble fixtures shared by the lockstep-kernel suites (test/14, 33, 34): a small network, initial states, and one
 *  chunk of an ensemble collected run by run. */
import { expect } from "vitest";
import type {
  Backend,
  ChunkBatches,
  EnsembleSpec,
  NetworkShape,
  NetworkSpec,
  TrainingRule,
} from "../../src/backend/types.js";
import { relErr } from "./fd.js";
import { fixtureRng } from "./linalg.js";

/**
 * A 2-3-2 network (D = 17: two inputs and two outputs, so that every index of the kernels is exercised) on 16 samples
 * of a smooth target, x in [-1, 1]^2 from fixtureRng(seed).
 */
export function ensembleFixture(
  activation: number,
  outputActivation: number,
  rule: TrainingRule,
  maxK: number,
  seed = 11,
): NetworkSpec {
  const shape: NetworkShape = { inputs: 2, hidden: 3, outputs: 2, activation, activationParam: 0.2, outputActivation };
  const rand = fixtureRng(seed);
  const N = 16;
  const X = Float64Array.from({ length: 2 * N }, () => 2 * rand() - 1);
  const Y = new Float64Array(2 * N);
  for (let s = 0; s < N; s++) {
    Y[2 * s] = 0.5 * Math.sin(2 * X[2 * s]) * Math.cos(X[2 * s + 1]);
    Y[2 * s + 1] = 0.3 * X[2 * s] * X[2 * s + 1] + 0.2;
  }
  return { shape, X, Y, maxK, rule };
}

/** A training state of S numbers: weights uniform on [-scale, scale) from fixtureRng(seed), the rule's other blocks 0. */
export function initialState(S: number, D: number, seed: number, scale = 0.5): Float64Array {
  const rand = fixtureRng(seed);
  return Float64Array.from({ length: S }, (_, p) => (p < D ? scale * (2 * rand() - 1) : 0));
}

/** The first k columns of the S x S identity, as a tangent block of maxK columns. */
export function identityBlock(S: number, maxK: number, k: number = maxK): Float64Array {
  const Q = new Float64Array(S * maxK);
  for (let j = 0; j < k; j++) Q[j * S + j] = 1;
  return Q;
}

/** One chunk's request without its outputs. */
export interface EnsembleChunk {
  k: number;
  nSteps: number;
  qrEvery: number;
  route: number;
  t0?: number;
  batches?: ChunkBatches | null;
}

/** What one run of an ensemble produced in a chunk. */
export interface RunOutcome {
  /** nSteps losses (NaN where the run had stopped). */
  loss: Float64Array;
  /** (nSteps / qrEvery) x k log R_jj (NaN where the run had stopped). */
  logR: Float64Array;
  state: Float64Array;
  tangent: Float64Array;
  steps: number;
  reason: number;
  /** C(w) on all samples at the final state (EnsembleKernel.losses). */
  finalLoss: number;
}

/**
 * Runs the given initial states as one ensemble of states.length runs (tangent blocks: the identity's first k
 * columns) through one chunk, and returns each run's outcome. The output arrays start as NaN, so entries a stopped run
 * leaves alone stay NaN.
 */
export function runEnsemble(
  backend: Backend,
  spec: NetworkSpec,
  states: readonly Float64Array[],
  chunk: EnsembleChunk,
): RunOutcome[] {
  const runs = states.length;
  const full: EnsembleSpec = { ...spec, runs };
  const e = backend.createEnsemble(full);
  try {
    const S = e.stateDimension;
    states.forEach((x, b) => {
      e.setState(b, x);
      e.setTangent(b, identityBlock(S, e.maxK, chunk.k));
    });
    const n = chunk.nSteps;
    const nQr = chunk.k > 0 ? n / chunk.qrEvery : 0;
    const lossOut = new Float64Array(runs * n).fill(Number.NaN);
    const logRDiag = new Float64Array(runs * nQr * chunk.k).fill(Number.NaN);
    const res = e.trainChunk({ ...chunk, t0: chunk.t0 ?? 0, lossOut, logRDiag });
    const finalLoss = e.losses();
    return states.map((_, b) => ({
      loss: lossOut.slice(b * n, (b + 1) * n),
      logR: logRDiag.slice(b * nQr * chunk.k, (b + 1) * nQr * chunk.k),
      state: e.getState(b),
      tangent: e.getTangent(b),
      steps: res.steps[b],
      reason: res.reasons[b],
      finalLoss: finalLoss[b],
    }));
  } finally {
    e.dispose();
  }
}

/** Per column j, the sum over the chunk's QRs of log R_jj (k numbers). */
export function logRSums(logR: Float64Array, k: number): number[] {
  const sums = new Array<number>(k).fill(0);
  for (let i = 0; i < logR.length; i++) sums[i % k] += logR[i];
  return sums;
}

/** Minibatches of `size` samples for every step, drawn from fixtureRng(seed) (without repetition within a batch). */
export function minibatches(N: number, size: number, nSteps: number, seed: number): ChunkBatches {
  const rand = fixtureRng(seed);
  const indices = new Int32Array(size * nSteps);
  const offsets = Int32Array.from({ length: nSteps + 1 }, (_, t) => t * size);
  const pool = Array.from({ length: N }, (_, i) => i);
  for (let t = 0; t < nSteps; t++) {
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(rand() * (N - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
      indices[t * size + i] = pool[i];
    }
  }
  return { indices, offsets };
}

/**
 * Two outcomes of the same run on converging trajectories agree to tol: the same steps and reason, records of the same
 * (non-zero) lengths, the losses per step and the final loss relative, the state and the final tangent block relative
 * to their max |entry| (relErr), and per column the sum of log R_jj over the chunk relative to max(1, |sum|).
 */
export function expectRunsClose(a: RunOutcome, b: RunOutcome, k: number, tol: number): void {
  expect([a.steps, a.reason]).toEqual([b.steps, b.reason]);
  for (const key of ["loss", "logR", "state", "tangent"] as const) {
    expect(a[key].length, `${key} length`).toBe(b[key].length);
    expect(b[key].length, `${key} length`).toBeGreaterThan(0);
  }
  let loss = Math.abs(a.finalLoss - b.finalLoss) / Math.abs(b.finalLoss);
  a.loss.forEach((x, t) => {
    loss = Math.max(loss, Math.abs(x - b.loss[t]) / Math.abs(b.loss[t]));
  });
  const scale = b.state.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const state = a.state.reduce((m, x, p) => Math.max(m, Math.abs(x - b.state[p]) / scale), 0);
  const sa = logRSums(a.logR, k);
  const sb = logRSums(b.logR, k);
  const logR = sa.reduce((m, x, j) => Math.max(m, Math.abs(x - sb[j]) / Math.max(1, Math.abs(sb[j]))), 0);
  expect(loss).toBeLessThanOrEqual(tol);
  expect(state).toBeLessThanOrEqual(tol);
  expect(logR).toBeLessThanOrEqual(tol);
  expect(relErr(a.tangent, b.tangent), "final tangent block").toBeLessThanOrEqual(tol);
}

/**
 * Two outcomes are the same bit for bit (NaN where a stopped run left its outputs alone, in both). For a run that
 * stopped only its outputs are compared (steps, reason, losses and log R): its lane keeps computing until the chunk
 * ends for every run of the ensemble (native/kernels/ensemble.h), so its state, tangent block and final loss after
 * the chunk depend on how long its batch ran and are not results.
 */
export function expectRunsIdentical(a: RunOutcome, b: RunOutcome): void {
  expect([a.steps, a.reason]).toEqual([b.steps, b.reason]);
  const keys = a.reason === 0 ? (["loss", "logR", "state", "tangent"] as const) : (["loss", "logR"] as const);
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    expect(x.length).toBe(y.length);
    const first = x.findIndex((v, i) => !Object.is(v, y[i]));
    expect(first, `${key}[${first}]: ${x[first]} vs ${y[first]}`).toBe(-1);
  }
  if (a.reason === 0) expect(Object.is(a.finalLoss, b.finalLoss)).toBe(true);
}
