/**
 * An ensemble bound to the WASM backend (the EnsembleKernel of wasm.ts): up to ensembleLanes runs of one three-layer
 * network in lockstep, the runs on the f64x2 lanes (assembly/ensemble*.ts), their data, states, tangent blocks and
 * workspaces in linear memory, freed by dispose(). The module raises no JavaScript exceptions, so every method
 * validates its arguments first, as native/bind_ensemble.cc does and with the same messages (guards.ts).
 *
 * trainChunk runs in blocks of whole QR periods so that its outputs fit a bounded scratch buffer (as wasm-network.ts
 * does); the states and tangent blocks stay in linear memory between blocks, so the result is that of one call. The
 * outputs are laid out per run (run b's losses at [b nSteps + t]), so each block is copied out run by run; a run that
 * has stopped leaves the caller's entries as they were (each block copies them in before the call and back after).
 */
import {
  argDisjoint,
  argF64,
  argInt,
  type CheckedNetworkArgs,
  checkBatches,
  checkChunk,
  throwRange,
} from "./guards.js";
import type { EnsembleChunkRequest, EnsembleChunkResult, EnsembleKernel } from "./types.js";
import { TangentRoute } from "./types.js";
import { blockBatches, even, Scratch, type WasmExports } from "./wasm-memory.js";

/** Doubles per block of a trainChunk's outputs (all runs together). */
const CHUNK_BLOCK_DOUBLES = 1 << 17;

/**
 * Creates an ensemble from checked arguments (guards.ts checkEnsembleArgs) and copies its data in; a RangeError when
 * the module refuses it (a size beyond native's limits, or linear memory cannot grow).
 */
export function createWasmEnsemble(ex: WasmExports, a: CheckedNetworkArgs & { runs: number }): WasmEnsembleKernel {
  const [nIn, nHid, nOut] = a.layers;
  const p = a.rule.params;
  const ptr = ex.ensemble_create(
    nIn,
    nHid,
    nOut,
    a.acts[0],
    a.params[0],
    a.acts[1],
    a.N,
    a.maxK,
    a.rule.id,
    a.rule.eta,
    p[0] ?? 0,
    p[1] ?? 0,
    p[2] ?? 0,
    a.runs,
  );
  if (ptr === 0) throwRange("the ensemble and data are too large");
  new Float64Array(ex.memory.buffer, ex.ensemble_x(ptr), a.N * nIn).set(a.X);
  new Float64Array(ex.memory.buffer, ex.ensemble_y(ptr), a.N * nOut).set(a.Y);
  return new WasmEnsembleKernel(ex, ptr, a.runs, a.N, a.maxK);
}

export class WasmEnsembleKernel implements EnsembleKernel {
  readonly dimension: number;
  readonly stateDimension: number;
  private ptr: number;
  private readonly io: Scratch;
  private readonly outs: Scratch;
  private readonly batchScratch: Scratch;

  constructor(
    private readonly ex: WasmExports,
    ptr: number,
    readonly runs: number,
    readonly samples: number,
    readonly maxK: number,
  ) {
    this.ptr = ptr;
    this.dimension = ex.ensemble_dimension(ptr);
    this.stateDimension = ex.ensemble_state_dimension(ptr);
    this.io = new Scratch(ex);
    this.outs = new Scratch(ex);
    this.batchScratch = new Scratch(ex);
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, n);
  }

  /** native EnsembleBinding::Alive. */
  private alive(): void {
    if (this.ptr === 0) throwRange("this ensemble has been disposed");
  }

  /** native EnsembleBinding::ArgRun. */
  private argRun(run: unknown): number {
    return argInt(run, "run", 0, this.runs - 1);
  }

  setState(run: number, state: Float64Array): void {
    this.alive();
    const b = this.argRun(run);
    const x = argF64(state, "state", this.stateDimension, true, true);
    const p = this.io.ensure(x.length);
    this.f64(p, x.length).set(x);
    this.ex.ensemble_set_state(this.ptr, b, p);
  }

  getState(run: number, out: Float64Array = new Float64Array(this.stateDimension)): Float64Array {
    this.alive();
    const b = this.argRun(run);
    const o = argF64(out, "out", this.stateDimension, true, false);
    const p = this.io.ensure(o.length);
    this.ex.ensemble_get_state(this.ptr, b, p);
    o.set(this.f64(p, o.length));
    return o;
  }

  setTangent(run: number, Q: Float64Array): void {
    this.alive();
    const b = this.argRun(run);
    const q = argF64(Q, "Q", this.stateDimension * this.maxK, true, true);
    const p = this.io.ensure(q.length);
    this.f64(p, q.length).set(q);
    this.ex.ensemble_set_tangent(this.ptr, b, p);
  }

  getTangent(run: number, out: Float64Array = new Float64Array(this.stateDimension * this.maxK)): Float64Array {
    this.alive();
    const b = this.argRun(run);
    const o = argF64(out, "out", this.stateDimension * this.maxK, true, false);
    const p = this.io.ensure(o.length);
    this.ex.ensemble_get_tangent(this.ptr, b, p);
    o.set(this.f64(p, o.length));
    return o;
  }

  losses(out: Float64Array = new Float64Array(this.runs)): Float64Array {
    this.alive();
    const o = argF64(out, "out", this.runs, true, false);
    const p = this.io.ensure(this.runs);
    this.ex.ensemble_loss(this.ptr, p);
    o.set(this.f64(p, this.runs));
    return o;
  }

  /** The workspaces of the route and of minibatches, allocated before the kernel may need them. */
  private reserve(k: number, route: number, batched: boolean): void {
    const where = `(D = ${this.dimension}, samples = ${this.samples}, runs = ${this.runs})`;
    if (k > 0 && route === TangentRoute.hessian && this.ex.ensemble_reserve_hessian(this.ptr) === 0) {
      throwRange(`out of WebAssembly memory for the explicit Hessians of the ensemble ${where}`);
    }
    if (k > 0 && route === TangentRoute.factored && this.ex.ensemble_reserve_factored(this.ptr) === 0) {
      throwRange(`out of WebAssembly memory for the factored Hessians of the ensemble ${where}`);
    }
    if (batched && this.ex.ensemble_reserve_batches(this.ptr) === 0) {
      throwRange(`out of WebAssembly memory for the minibatch buffers ${where}`);
    }
  }

  trainChunk(req: EnsembleChunkRequest): EnsembleChunkResult {
    this.alive();
    const c = checkChunk(req, this.maxK, TangentRoute.hessian, TangentRoute.factored);
    const [kk, steps, every, route, t0] = [c.k, c.nSteps, c.qrEvery, c.route, c.t0];
    const batches = checkBatches(req.batches, this.samples, steps);
    const runs = this.runs;
    const nQr = kk > 0 ? Math.floor(steps / every) : 0;
    const lossDst = argF64(req.lossOut, "lossOut", runs * steps, false, false);
    const logRDst = argF64(req.logRDiag, "logRDiag", runs * nQr * kk, false, false);
    argDisjoint("lossOut", lossDst.subarray(0, runs * steps), "logRDiag", logRDst.subarray(0, runs * nQr * kk));
    this.reserve(kk, route, batches !== null);

    // Blocks of whole QR periods whose outputs (every run's) fit CHUNK_BLOCK_DOUBLES.
    const block =
      kk === 0
        ? Math.min(steps, Math.max(1, Math.floor(CHUNK_BLOCK_DOUBLES / runs)))
        : Math.min(steps, Math.max(1, Math.floor(CHUNK_BLOCK_DOUBLES / (runs * (every + kk)))) * every);
    const nLoss = even(runs * block);
    const nLogR = even(runs * (kk > 0 ? block / every : 0) * kk);
    const lossPtr = this.outs.ensure(nLoss + nLogR + even(runs));
    const logRPtr = lossPtr + 8 * nLoss;
    const stepsPtr = logRPtr + 8 * nLogR;
    const stepsDone = new Int32Array(runs);
    const reasons = new Int32Array(runs);

    for (let done = 0, qrDone = 0; done < steps; ) {
      const n = Math.min(block, steps - done);
      const nq = kk > 0 ? n / every : 0;
      const [idxPtr, offPtr] = batches ? blockBatches(this.ex, this.batchScratch, batches, done, n) : [0, 0];
      // This block's outputs of run b: losses [b steps + done, + n), log R [(b nQr + qrDone) k, + nq k).
      const lossAt = (b: number) => lossDst.subarray(b * steps + done, b * steps + done + n);
      const logRAt = (b: number) => logRDst.subarray((b * nQr + qrDone) * kk, (b * nQr + qrDone + nq) * kk);
      for (let b = 0; b < runs; b++) {
        this.f64(lossPtr + 8 * b * n, n).set(lossAt(b));
        this.f64(logRPtr + 8 * b * nq * kk, nq * kk).set(logRAt(b));
      }
      this.ex.ensemble_train_chunk(
        this.ptr,
        kk,
        n,
        every,
        route,
        t0 + done,
        idxPtr,
        offPtr,
        lossPtr,
        logRPtr,
        stepsPtr,
      );
      const blockSteps = new Int32Array(this.ex.memory.buffer, stepsPtr, runs);
      for (let b = 0; b < runs; b++) {
        lossAt(b).set(this.f64(lossPtr + 8 * b * n, n));
        logRAt(b).set(this.f64(logRPtr + 8 * b * nq * kk, nq * kk));
        stepsDone[b] += blockSteps[b];
        reasons[b] = this.ex.ensemble_reason(this.ptr, b);
      }
      done += n;
      qrDone += nq;
      if (reasons.every((r) => r !== 0)) break;
    }
    return { steps: stepsDone, reasons };
  }

  dispose(): void {
    if (this.ptr === 0) return;
    this.io.release();
    this.outs.release();
    this.batchScratch.release();
    this.ex.ensemble_free(this.ptr);
    this.ptr = 0;
  }
}
