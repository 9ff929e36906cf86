/**
 * Lyapunov spectrum and finite-time exponents of any TangentSystem by repeated QR (Benettin et al. 1980;
 * the "standard method" of Shimada & Nagashima 1979; ChaosTools.jl's lyapunovspectrum).
 *
 *   lyapunovSpectrum(system, { steps, k, qrEvery, transient, ftleWindow, basis, basisSeed })
 *
 * Runs `transient + measured` steps where measured = steps - transient: the first `transient` steps only align
 * the tangent basis and are discarded; exponents, running estimates and FTLE windows cover the rest.
 * Options (defaults): k = D (number of exponents), qrEvery = 1, transient = 0, ftleWindow = 100 (window 1 gives the
 * local exponents), basis = "identity" (first k columns of I) or "random" (seeded by basisSeed = 0).
 */
import type { Backend } from "../backend/types.js";
import type { TangentSystem } from "../system/types.js";
import { identityBasis, randomBasis } from "./basis.js";
import { type FtleWindows, LogRAccumulator, type RunningEstimates } from "./ftle.js";

/** Steps per chunk of the spectrum loop (by default) and of the lockstep loop; run-plan.ts sizes a chunk's buffers by it. */
export const CHUNK_STEPS = 1000;

/**
 * chunkLength(qrEvery, steps = CHUNK_STEPS, { floor }) -> a multiple of qrEvery, at least qrEvery
 *
 * A chunk of about `steps` steps that ends in a QR: `steps` rounded to the nearest multiple of qrEvery, or with
 * floor the largest multiple not above it (never above `steps` unless qrEvery is).
 */
export function chunkLength(qrEvery: number, steps = CHUNK_STEPS, options: { floor?: boolean } = {}): number {
  const periods = options.floor ? Math.floor(steps / qrEvery) : Math.round(steps / qrEvery);
  return Math.max(qrEvery, periods * qrEvery);
}

export interface SpectrumOptions {
  /** Total steps, transient included. */
  steps: number;
  k?: number;
  qrEvery?: number;
  transient?: number;
  ftleWindow?: number;
  basis?: "identity" | "random" | "keep";
  basisSeed?: number;
  /** Needed for a random basis (its QR runs on the backend). */
  backend?: Backend;
  /** Called after every chunk with (steps done, total steps). */
  onProgress?: (done: number, total: number) => void;
  /** Called after every chunk with the QR factors of that chunk (for CLVs); enables R output. */
  onChunk?: (info: ChunkInfo) => void;
  /** The next step (counted from the start of this call) at which a chunk must end, e.g. the next time at which a
   *  hook needs the tangent block; a multiple of qrEvery. Return a value <= done for no constraint. */
  nextStop?: (done: number) => number;
  /** Steps per call into the system, rounded to a multiple of qrEvery (default about 1000). Chunks also end at the
   *  end of the transient, so the hooks see chunk starts at chunkSteps-multiples after it. */
  chunkSteps?: number;
}

export interface ChunkInfo {
  /** Step at which the chunk started. */
  start: number;
  steps: number;
  /** nQr x k log R_jj of this chunk. */
  logRDiag: Float64Array;
  /** nQr x k x k R factors (column-major each) when onChunk is set. */
  R: Float64Array | null;
  k: number;
}

export interface SpectrumResult {
  k: number;
  dimension: number;
  /** Exponents in the order of the QR columns (natural log per step). */
  exponents: Float64Array;
  ftle: FtleWindows;
  running: RunningEstimates;
  /** Steps completed, transient included. */
  steps: number;
  /** Steps that entered the exponents. */
  measuredSteps: number;
  diverged: boolean;
  /** Step at which the run diverged (the number of steps completed), and why. */
  divergedAt?: number;
  divergedReason?: string;
}

function requireInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`weightdyn: expected an integer >= ${min} for ${name} but received ${v}`);
  }
}

export function lyapunovSpectrum(system: TangentSystem, options: SpectrumOptions): SpectrumResult {
  const D = system.dimension;
  const k = options.k ?? D;
  const qrEvery = options.qrEvery ?? 1;
  const transient = options.transient ?? 0;
  const window = options.ftleWindow ?? 100;
  const total = options.steps;
  requireInt("steps", total, 1);
  requireInt("k", k, 0);
  if (k > system.maxK) throw new RangeError(`weightdyn: expected k <= ${system.maxK} but received ${k}`);
  requireInt("qrEvery", qrEvery, 1);
  requireInt("transient", transient, 0);
  requireInt("ftleWindow", window, 1);
  if (window % qrEvery !== 0)
    throw new RangeError(`weightdyn: ftleWindow (${window}) must be a multiple of qrEvery (${qrEvery})`);
  if (transient % qrEvery !== 0)
    throw new RangeError(`weightdyn: transient (${transient}) must be a multiple of qrEvery (${qrEvery})`);
  if (transient >= total)
    throw new RangeError(`weightdyn: transient (${transient}) must be less than steps (${total})`);

  const basis = options.basis ?? "identity";
  if (basis === "identity") identityBasis(system.tangent(), D, k);
  else if (basis === "random") {
    if (!options.backend) throw new TypeError("weightdyn: a random basis needs options.backend");
    randomBasis(options.backend, system.tangent(), D, k, options.basisSeed ?? 0);
  }

  const acc = new LogRAccumulator(k, qrEvery, window, system.time + transient);
  // Any multiple of qrEvery works as a chunk: the accumulator carries partial windows across chunks.
  const chunk = chunkLength(qrEvery, options.chunkSteps ?? CHUNK_STEPS);
  const maxQr = Math.ceil(chunk / qrEvery) + 1;
  const logR = new Float64Array(maxQr * k);
  const R = options.onChunk ? new Float64Array(maxQr * k * k) : null;
  let done = 0;
  const result = (diverged: boolean, reason?: string): SpectrumResult => ({
    k,
    dimension: D,
    exponents: acc.exponents(),
    ftle: acc.windows(),
    running: acc.runningEstimates(),
    steps: done,
    measuredSteps: acc.steps,
    diverged,
    ...(diverged ? { divergedAt: done, divergedReason: reason } : {}),
  });

  while (done < total) {
    // Chunks end at the transient's end, so the accumulator sees only measured QRs.
    let n = done < transient ? Math.min(transient - done, chunk - (chunk % qrEvery)) : Math.min(total - done, chunk);
    if (options.nextStop) {
      const stop = options.nextStop(done);
      if (stop > done && stop - done < n) n = stop - done;
    }
    if (k > 0 && n % qrEvery !== 0) n -= n % qrEvery;
    // A trailing piece shorter than qrEvery cannot end in a QR: the system still takes those steps, untracked.
    const tracked = n > 0 ? k : 0;
    if (n === 0) n = total - done;
    const start = system.time;
    const res = system.evolve(n, tracked, tracked > 0 ? qrEvery : 1, logR, R);
    const nQr = tracked > 0 ? Math.floor(res.steps / qrEvery) : 0;
    if (done >= transient) acc.add(logR, nQr);
    options.onChunk?.({
      start,
      steps: res.steps,
      logRDiag: logR.subarray(0, nQr * k),
      R: R ? R.subarray(0, nQr * k * k) : null,
      k,
    });
    done += res.steps;
    options.onProgress?.(done, total);
    if (res.diverged) return result(true, res.reason);
  }
  return result(false);
}
