/**
 * Covariant Lyapunov vectors (CLVs) of any TangentSystem by Ginelli's method (Ginelli et al., PRL 99, 130601
 * (2007); Kuptsov & Parlitz, J Nonlinear Sci 22, 727 (2012)).
 *
 *   covariantLyapunovVectors(system, { to, from, every, backwardTransient, k, qrEvery, ... }) -> ClvResult
 *   const plan = planClv(system, options);              // validates, checks the memory budget, allocates nothing
 *   const rec = new ClvRecorder(system, plan);
 *   lyapunovSpectrum(system, { ..., ...rec.hooks() });   // the forward pass that also gives the exponents
 *   rec.backward(frame => ...);                          // CLVs per output time, last time first
 *
 * Forward: the QR loop of lyapunovSpectrum (Q_t R_t = J^{(t-m -> t)} Q_{t-m} every m = qrEvery steps). Backward:
 * from C = I or a random upper-triangular matrix at `end` = to + backwardTransient, C_{t-m} ∝ R_t^{-1} C_t with
 * unit columns (ginelli.ts), and V_t = Q_t C_t at the output times from, from + every, ..., <= to (times are
 * system times, i.e. steps taken since the system was created; w_t is the state after t steps).
 * Options (defaults): from = system.time at the start + transient, every = qrEvery, backwardTransient = 1000,
 * k = maxK, qrEvery = 1, mode = "auto", memoryBudget = 2 GiB, checkpointEvery = the optimum of clv-memory.ts,
 * initialC = "random", seed = 0.
 * Convergence: Q_t aligns with the backward Lyapunov vectors only after a forward transient (an output time t
 * needs t - start >> 1 / (lambda_j - lambda_{j+1}); at t = start, V_t lies in the span of the initial basis), and
 * C_t converges at the same rates over the backward transient; both errors decay exponentially.
 *
 * Modes (memory: clv-memory.ts):
 *   store       keeps Q_t and x_t at the output times and every R from `from` to `end` during the forward pass;
 *   checkpoint  keeps only system snapshots (state, tangent block, time) every s steps; the backward pass restores
 *               each segment's snapshot and recomputes its R factors and Qs. The kernels are deterministic, so the
 *               recomputation is bit-identical and both modes give the same CLVs. Needs system.snapshot/restore.
 */
import { ConfigError } from "../config/errors.js";
import type { TangentSystem } from "../system/types.js";
import { backwardPass, type ClvBackwardStats, type ClvSink, ClvStores } from "./clv-backward.js";
import {
  type ClvMemoryEstimate,
  type ClvMode,
  chooseClvMode,
  clvMemoryEstimate,
  DEFAULT_CLV_MEMORY_BUDGET,
} from "./clv-memory.js";
import { lyapunovSpectrum, type SpectrumOptions, type SpectrumResult } from "./spectrum.js";

export type { ClvBackwardStats, ClvFrame, ClvSink } from "./clv-backward.js";

export interface ClvOptions {
  /** Last output time (required). */
  to: number;
  from?: number;
  every?: number;
  backwardTransient?: number;
  k?: number;
  qrEvery?: number;
  mode?: "auto" | ClvMode;
  /** Bytes (default 2 GiB). */
  memoryBudget?: number;
  checkpointEvery?: number;
  initialC?: "identity" | "random";
  seed?: number;
  /** Bytes the sink keeps per output time (counted against the budget; covariantLyapunovVectors sets it). */
  sinkBytesPerTime?: number;
  /** The sink collects the vectors in memory (the refusal then suggests streaming them to files). */
  collecting?: boolean;
  /** Steps per chunk of the forward loop (default 1000, as lyapunovSpectrum). */
  chunkSteps?: number;
}

/** A validated CLV request: every time and size the recorder and the backward pass use. */
export interface ClvPlan {
  D: number;
  k: number;
  /** Tangent-block width a snapshot copies. */
  maxK: number;
  qrEvery: number;
  from: number;
  to: number;
  every: number;
  backwardTransient: number;
  /** to + backwardTransient: where the backward iteration starts. */
  end: number;
  /** Number of output times. */
  times: number;
  mode: ClvMode;
  checkpointEvery: number;
  budget: number;
  estimate: ClvMemoryEstimate;
  /** Bytes of the chosen mode (estimate.store or estimate.checkpoint). */
  estimatedBytes: number;
  initialC: "identity" | "random";
  seed: number;
}

function requireInt(field: string, v: number, min: number, what = `an integer >= ${min}`): void {
  if (!Number.isInteger(v) || v < min)
    throw new ConfigError(`lyapunov.clv.${field}`, `expected ${what} but received ${v}`);
}

function requireMultiple(field: string, v: number, m: number): void {
  if (v % m !== 0) {
    throw new ConfigError(`lyapunov.clv.${field}`, `expected a multiple of lyapunov.qrEvery (${m}) but received ${v}`);
  }
}

/**
 * planClv(system, options) -> ClvPlan
 *
 * Validates the request against the system (errors are ConfigErrors naming lyapunov.clv.<field>), estimates the
 * memory of both modes and picks one (ClvMemoryError above the budget). Allocates nothing.
 */
export function planClv(system: TangentSystem, options: ClvOptions): ClvPlan {
  const D = system.dimension;
  const qrEvery = options.qrEvery ?? 1;
  if (!Number.isInteger(qrEvery) || qrEvery < 1)
    throw new ConfigError("lyapunov.qrEvery", `expected a positive integer but received ${qrEvery}`);
  const k = options.k ?? system.maxK;
  if (!Number.isInteger(k) || k < 1 || k > system.maxK) {
    throw new ConfigError(
      "lyapunov.exponents",
      `expected between 1 and ${system.maxK} vectors for CLVs but received ${k}`,
    );
  }
  const start = system.time;
  if (start % qrEvery !== 0)
    throw new RangeError(`weightdyn: the system time ${start} is not a multiple of qrEvery (${qrEvery})`);
  const from = options.from ?? start;
  const every = options.every ?? qrEvery;
  const backwardTransient = options.backwardTransient ?? 1000;
  const to = options.to;
  requireInt("from", from, start, start === 0 ? "an integer >= 0" : `an integer >= the system time ${start}`);
  requireMultiple("from", from, qrEvery);
  requireInt("every", every, 1, "a positive integer");
  requireMultiple("every", every, qrEvery);
  requireInt("to", to, from, `an integer >= lyapunov.clv.from (${from})`);
  requireMultiple("to", to, qrEvery);
  requireInt("backwardTransient", backwardTransient, 0);
  requireMultiple("backwardTransient", backwardTransient, qrEvery);
  const end = to + backwardTransient;
  if (options.checkpointEvery !== undefined) {
    requireInt("checkpointEvery", options.checkpointEvery, 1, "a positive integer");
    requireMultiple("checkpointEvery", options.checkpointEvery, qrEvery);
  }
  const snapshots = typeof system.snapshot === "function" && typeof system.restore === "function";
  const requested = options.mode ?? "auto";
  if (requested === "checkpoint" && !snapshots) {
    throw new ConfigError(
      "lyapunov.clv.mode",
      'expected "store" or "auto": checkpoint mode needs a system with snapshot() and restore()',
    );
  }
  const input = {
    D,
    k,
    maxK: system.maxK,
    from,
    to,
    every,
    end,
    qrEvery,
    checkpointEvery: options.checkpointEvery,
    chunkSteps: options.chunkSteps,
    sinkBytesPerTime: options.sinkBytesPerTime,
  };
  const estimate = clvMemoryEstimate(input);
  const budget = options.memoryBudget ?? DEFAULT_CLV_MEMORY_BUDGET;
  const request = { from, to, every, k, collecting: options.collecting ?? false };
  // Without snapshots only store mode exists: judge the request as such.
  const mode = chooseClvMode(estimate, snapshots ? requested : "store", budget, request);
  return {
    D,
    k,
    maxK: system.maxK,
    qrEvery,
    from,
    to,
    every,
    backwardTransient,
    end,
    times: estimate.times,
    mode,
    checkpointEvery: estimate.checkpointEvery,
    budget,
    estimate,
    estimatedBytes: mode === "store" ? estimate.store : estimate.checkpoint,
    initialC: options.initialC ?? "random",
    seed: options.seed ?? 0,
  };
}

/**
 * Records what the backward pass needs during the forward QR loop, through lyapunovSpectrum's hooks: in store
 * mode Q_t and x_t at output times and the packed R factors of (from, end]; in checkpoint mode a snapshot at
 * from, from + s, ... (< end). Chunks are made to end at those times (nextStop).
 */
export class ClvRecorder {
  private readonly stores: ClvStores;
  private lastCaptured = -1;

  constructor(
    readonly system: TangentSystem,
    readonly plan: ClvPlan,
  ) {
    if (system.dimension !== plan.D || system.time > plan.from) {
      throw new RangeError("weightdyn: ClvRecorder: the plan was made for another system or an earlier time");
    }
    this.stores = new ClvStores(plan);
  }

  /** Hooks for lyapunovSpectrum (which must use k = plan.k and qrEvery = plan.qrEvery). */
  hooks(): Pick<SpectrumOptions, "onChunk" | "nextStop"> {
    const nextStop = (done: number): number => {
      this.capture();
      const now = this.system.time;
      const next = this.stores.nextCaptureAfter(now);
      return next === null ? done : done + (next - now);
    };
    if (this.plan.mode === "checkpoint") return { nextStop };
    return {
      nextStop,
      onChunk: (info) => {
        if (info.k !== this.plan.k || !info.R)
          throw new RangeError(`weightdyn: ClvRecorder expects k = ${this.plan.k} with R output`);
        const m = this.plan.qrEvery;
        const nQr = info.logRDiag.length / info.k;
        for (let q = 0; q < nQr; q++) {
          const t = info.start + (q + 1) * m;
          this.stores.keepR(t, info.R.subarray(q * info.k * info.k, (q + 1) * info.k * info.k));
        }
        this.capture();
      },
    };
  }

  /** Keeps Q and the state (store) or a snapshot (checkpoint) if the system is at a capture time. */
  private capture(): void {
    const t = this.system.time;
    if (t <= this.lastCaptured) return;
    this.lastCaptured = t;
    this.stores.capture(this.system, t);
  }

  /** Bytes the recorder has allocated so far. */
  get bytes(): number {
    return this.stores.bytes;
  }

  /**
   * Runs the backward iteration and hands every output time to `sink`, last time first. Needs a forward pass that
   * reached plan.end. In checkpoint mode the system is moved back to its checkpoints and restored to its current
   * state at the end.
   */
  backward(sink: ClvSink, options: { onProgress?: (done: number, total: number) => void } = {}): ClvBackwardStats {
    if (this.system.time < this.plan.end) {
      throw new RangeError(
        `weightdyn: the forward pass stopped at step ${this.system.time}, before the end of the CLV backward transient (${this.plan.end})`,
      );
    }
    return backwardPass(this.system, this.plan, this.stores, sink, options.onProgress);
  }
}

export interface ClvResult {
  plan: ClvPlan;
  spectrum: SpectrumResult;
  /** Output times, increasing. */
  times: number[];
  /** CLVs, times x D x k in C order (the layout of clv.npy): CLV j at time index i is vectors[i*D*k + d*k + j]. */
  vectors: Float64Array;
  /** The state x_t at each output time, times x D. */
  states: Float64Array;
  stats: ClvBackwardStats;
}

/** CLV j at output index i of a ClvResult, as a new length-D vector. */
export function clvVector(result: Pick<ClvResult, "vectors" | "plan">, i: number, j: number): Float64Array {
  const { D, k } = result.plan;
  return Float64Array.from({ length: D }, (_, d) => result.vectors[i * D * k + d * k + j]);
}

/**
 * covariantLyapunovVectors(system, options) -> ClvResult
 *
 * Runs the forward pass from the system's current time to `end` (transient, basis and backend as in
 * lyapunovSpectrum), then the backward pass, collecting every CLV in memory (counted against the budget).
 */
export function covariantLyapunovVectors(
  system: TangentSystem,
  options: ClvOptions & Pick<SpectrumOptions, "transient" | "basis" | "basisSeed" | "backend" | "ftleWindow">,
): ClvResult {
  const D = system.dimension;
  const k = options.k ?? system.maxK;
  const transient = options.transient ?? 0;
  const plan = planClv(system, {
    ...options,
    from: options.from ?? system.time + transient,
    sinkBytesPerTime: (D * k + D) * 8,
    collecting: true,
  });
  const recorder = new ClvRecorder(system, plan);
  const spectrum = lyapunovSpectrum(system, {
    steps: plan.end - system.time,
    k,
    qrEvery: plan.qrEvery,
    transient,
    ftleWindow: options.ftleWindow ?? plan.qrEvery * Math.max(1, Math.round(1000 / plan.qrEvery)),
    basis: options.basis,
    basisSeed: options.basisSeed,
    backend: options.backend,
    chunkSteps: options.chunkSteps,
    ...recorder.hooks(),
  });
  if (spectrum.diverged)
    throw new RangeError(
      `weightdyn: the system diverged at step ${spectrum.divergedAt} (${spectrum.divergedReason}) before the CLVs could be computed`,
    );
  const T = plan.times;
  const vectors = new Float64Array(T * D * k);
  const states = new Float64Array(T * D);
  const times = Array.from({ length: T }, (_, i) => plan.from + i * plan.every);
  const stats = recorder.backward((f) => {
    const base = f.index * D * k;
    for (let j = 0; j < k; j++) for (let d = 0; d < D; d++) vectors[base + d * k + j] = f.vectors[j * D + d];
    states.set(f.state, f.index * D);
  });
  return { plan, spectrum, times, vectors, states, stats };
}
