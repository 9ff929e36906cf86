/**
 * The storage of the forward pass and the backward pass of Ginelli's method (see clv.ts for the overview and
 * ginelli.ts for the formulas).
 *
 * Indexing: output time t = from + i * every has index i; the R factor of the QR at time t (Q_t R_t =
 * J^{(t-m -> t)} Q_{t-m}) is R_t, kept in slot (t - from) / m - 1 for from < t <= end. Walking t down from `end`
 * in steps of m: emit V_t = Q_t C_t if t is an output time, then C_{t-m} = normalise(R_t^{-1} C_t). In checkpoint
 * mode the same walk runs segment by segment, [a, b] = [from + j s, min(from + (j + 1) s, end)] for j = last .. 0,
 * after restoring the snapshot at a and recomputing R_t for a < t <= b and Q_t, x_t at the output times in [a, b].
 */
import type { TangentSystem } from "../system/types.js";
import type { ClvPlan } from "./clv.js";
import { REPLAY_QR_CHUNK } from "./clv-memory.js";
import { backwardStep, combineBasis, initialCoefficients, packedSize, packUpper, SlotStore } from "./ginelli.js";

/** One output time of the backward pass. The arrays are reused between calls: copy what you keep. */
export interface ClvFrame {
  /** Position among the output times (0 for `from`). */
  index: number;
  /** The output time t (steps since the system was created). */
  time: number;
  D: number;
  k: number;
  /** V_t: D x k, column-major; column j is CLV j (unit length; the sign is arbitrary). */
  vectors: Float64Array;
  /** C_t: k x k, column-major, upper triangular, unit columns, with V_t = Q_t C_t (angles are the same in C). */
  coefficients: Float64Array;
  /** The state x_t (the weights w_t of a network). */
  state: Float64Array;
}

/** Receives the output times in decreasing order. */
export type ClvSink = (frame: ClvFrame) => void;

export interface ClvBackwardStats {
  /** Output times handed to the sink. */
  times: number;
  mode: "store" | "checkpoint";
  /** Bytes of the chosen mode as estimated before the run. */
  estimatedBytes: number;
  /** Bytes the CLV computation actually allocated at its peak (its own arrays; sinks not included). */
  peakBytes: number;
  /** Steps recomputed in checkpoint mode (0 in store mode). */
  replayedSteps: number;
  /** Wall time of the backward pass, seconds. */
  seconds: number;
}

/** What the forward pass keeps: Q, x and R slots (store) or snapshots (checkpoint). */
export class ClvStores {
  readonly q: SlotStore | null;
  readonly x: SlotStore | null;
  readonly r: SlotStore | null;
  readonly snapshots: unknown[];
  readonly checkpoints: number;
  private snapshotBytes = 0;

  constructor(readonly plan: ClvPlan) {
    const { D, k, times, from, end, qrEvery: m } = plan;
    const store = plan.mode === "store";
    this.q = store ? new SlotStore(D * k, times) : null;
    this.x = store ? new SlotStore(D, times) : null;
    this.r = store ? new SlotStore(packedSize(k), (end - from) / m) : null;
    this.checkpoints = store ? 0 : Math.max(1, Math.ceil((end - from) / plan.checkpointEvery));
    this.snapshots = new Array(this.checkpoints);
  }

  /** Index of output time t, or -1. */
  outputIndex(t: number): number {
    const { from, to, every } = this.plan;
    return t >= from && t <= to && (t - from) % every === 0 ? (t - from) / every : -1;
  }

  /** The first output time after `now`, or null. */
  nextOutputAfter(now: number): number | null {
    const { from, to, every } = this.plan;
    const t = now < from ? from : from + (Math.floor((now - from) / every) + 1) * every;
    return t <= to ? t : null;
  }

  /** The next time after `now` at which the forward pass must stop to capture, or null. */
  nextCaptureAfter(now: number): number | null {
    if (this.plan.mode === "store") return this.nextOutputAfter(now);
    const { from, checkpointEvery: s } = this.plan;
    const j = now < from ? 0 : Math.floor((now - from) / s) + 1;
    return j < this.checkpoints ? from + j * s : null;
  }

  keepR(t: number, R: Float64Array): void {
    const { from, end, qrEvery: m, k } = this.plan;
    if (this.r && t > from && t <= end) packUpper(R, k, this.r.slot((t - from) / m - 1));
  }

  capture(system: TangentSystem, t: number): void {
    const { D, k, from, checkpointEvery: s } = this.plan;
    if (this.q && this.x) {
      const i = this.outputIndex(t);
      if (i < 0) return;
      this.q.slot(i).set(system.tangent().subarray(0, D * k));
      this.x.slot(i).set(system.state());
      return;
    }
    if (t < from || (t - from) % s !== 0) return;
    const j = (t - from) / s;
    if (j >= this.checkpoints || this.snapshots[j] !== undefined) return;
    this.snapshots[j] = (system.snapshot as () => unknown).call(system);
    this.snapshotBytes += this.snapshotSize();
  }

  /** Bytes of one snapshot: the state and the whole tangent block. */
  snapshotSize(): number {
    return (this.plan.D + this.plan.D * this.plan.maxK) * 8;
  }

  get bytes(): number {
    return (this.q?.bytes ?? 0) + (this.x?.bytes ?? 0) + (this.r?.bytes ?? 0) + this.snapshotBytes;
  }
}

/** The backward pass (module comment). */
export function backwardPass(
  system: TangentSystem,
  plan: ClvPlan,
  stores: ClvStores,
  sink: ClvSink,
  onProgress?: (done: number, total: number) => void,
): ClvBackwardStats {
  const t0 = performance.now();
  const { D, k, qrEvery: m, from, end } = plan;
  const C = initialCoefficients(k, plan.initialC, plan.seed);
  const V = new Float64Array(D * k);
  const frame: ClvFrame = { index: 0, time: 0, D, k, vectors: V, coefficients: C, state: new Float64Array(D) };
  const work = (2 * k * k + D * k + D) * 8;
  let emitted = 0;
  const emit = (t: number, Q: Float64Array, x: Float64Array): void => {
    combineBasis(Q, C, D, k, V);
    frame.index = stores.outputIndex(t);
    frame.time = t;
    frame.state = x;
    sink(frame);
    emitted++;
    onProgress?.(emitted, plan.times);
  };
  const stats = (peakBytes: number, replayedSteps: number): ClvBackwardStats => ({
    times: emitted,
    mode: plan.mode,
    estimatedBytes: plan.estimatedBytes,
    peakBytes,
    replayedSteps,
    seconds: (performance.now() - t0) / 1000,
  });

  if (plan.mode === "store") {
    const { q, x, r } = stores as { q: SlotStore; x: SlotStore; r: SlotStore };
    for (let t = end; ; t -= m) {
      const i = stores.outputIndex(t);
      if (i >= 0) emit(t, q.slot(i), x.slot(i));
      if (t <= from) break;
      backwardStep(r.slot((t - from) / m - 1), C, k);
    }
    return stats(stores.bytes + work, 0);
  }

  const s = plan.checkpointEvery;
  const restore = (snap: unknown) => (system.restore as (x: unknown) => void).call(system, snap);
  const final = (system.snapshot as () => unknown).call(system);
  const segTimes = Math.min(plan.times, Math.floor(s / plan.every) + 1);
  const segR = new SlotStore(packedSize(k), s / m);
  const segQ = new SlotStore(D * k, segTimes);
  const segX = new SlotStore(D, segTimes);
  const chunkQr = Math.min(s / m, REPLAY_QR_CHUNK);
  const rBuf = new Float64Array(chunkQr * k * k);
  const logR = new Float64Array(chunkQr * k);
  let peak = 0;
  let replayed = 0;
  for (let j = stores.checkpoints - 1; j >= 0; j--) {
    const a = from + j * s;
    const b = Math.min(a + s, end);
    restore(stores.snapshots[j]);
    if (system.time !== a) throw new Error(`weightdyn: CLV checkpoint ${j} is at step ${system.time}, expected ${a}`);
    const firstOut = a <= from ? 0 : Math.ceil((a - from) / plan.every);
    const keep = (): void => {
      const i = stores.outputIndex(system.time);
      if (i < 0) return;
      segQ.slot(i - firstOut).set(system.tangent().subarray(0, D * k));
      segX.slot(i - firstOut).set(system.state());
    };
    keep();
    while (system.time < b) {
      const now = system.time;
      let n = Math.min(b - now, chunkQr * m);
      const next = stores.nextOutputAfter(now);
      if (next !== null && next < now + n) n = next - now;
      const res = system.evolve(n, k, m, logR, rBuf);
      if (res.diverged || res.steps !== n) {
        throw new Error(
          `weightdyn: the CLV replay of steps ${now}..${now + n} diverged (${res.reason}); the system is not deterministic`,
        );
      }
      for (let q = 0; q < n / m; q++)
        packUpper(rBuf.subarray(q * k * k, (q + 1) * k * k), k, segR.slot((now - a) / m + q));
      replayed += n;
      keep();
    }
    peak = Math.max(peak, stores.bytes + segR.bytes + segQ.bytes + segX.bytes + rBuf.byteLength + logR.byteLength);
    for (let t = b; ; t -= m) {
      const i = stores.outputIndex(t);
      if (i >= 0 && (t < b || j === stores.checkpoints - 1)) emit(t, segQ.slot(i - firstOut), segX.slot(i - firstOut));
      if (t <= a) break;
      backwardStep(segR.slot((t - a) / m - 1), C, k);
    }
    // This segment is done: its snapshot is no longer needed.
    stores.snapshots[j] = undefined;
  }
  restore(final);
  return stats(peak + stores.snapshotSize() + work, replayed);
}
