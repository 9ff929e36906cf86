/**
 * A network bound to the WASM backend (the NetworkKernel of wasm.ts): its data, workspaces, weights and tangent block
 * live in linear memory (assembly/network.ts) and are freed by dispose(). Every method validates its arguments as
 * native/bind_network.cc does, with the guards of guards.ts, before calling into the module.
 */
import {
  argDistinct,
  argF64,
  argI32,
  argInt,
  checkBatches,
  checkChunk,
  firstNonFinite,
  INT_MAX,
  throwNonFinite,
  throwRange,
} from "./guards.js";
import type { ChunkRequest, ChunkResult, NetworkKernel } from "./types.js";
import { TangentRoute } from "./types.js";
import { blockBatches, even, Scratch, type WasmExports } from "./wasm-memory.js";

/** Doubles per block of the blocked calls: hvp columns, trainChunk outputs. */
const HVP_BLOCK_DOUBLES = 1 << 17;
const CHUNK_BLOCK_DOUBLES = 1 << 17;

export class WasmNetworkKernel implements NetworkKernel {
  readonly dimension: number;
  readonly stateDimension: number;
  readonly samples: number;
  readonly maxK: number;
  private ptr: number;
  private disposed = false;
  private viewBuffer: ArrayBuffer | null = null;
  private sView = new Float64Array(0);
  private wView = new Float64Array(0);
  private qView = new Float64Array(0);
  private readonly sPtr: number;
  private readonly qPtr: number;
  private readonly scratchA: Scratch;
  private readonly scratchB: Scratch;

  constructor(
    private readonly ex: WasmExports,
    ptr: number,
    samples: number,
    maxK: number,
  ) {
    this.ptr = ptr;
    this.dimension = ex.network_dimension(ptr);
    this.stateDimension = ex.network_state_dimension(ptr);
    this.samples = samples;
    this.maxK = maxK;
    this.sPtr = ex.network_state(ptr);
    this.qPtr = ex.network_q(ptr);
    this.scratchA = new Scratch(ex);
    this.scratchB = new Scratch(ex);
  }

  /** Views into linear memory, re-created when memory has grown (the old buffer is then detached). */
  private refreshViews(): void {
    const buffer = this.ex.memory.buffer;
    if (buffer === this.viewBuffer) return;
    this.viewBuffer = buffer;
    this.sView = new Float64Array(buffer, this.sPtr, this.stateDimension);
    this.wView = this.sView.subarray(0, this.dimension);
    this.qView = new Float64Array(buffer, this.qPtr, this.stateDimension * this.maxK);
  }

  get state(): Float64Array {
    if (!this.disposed) this.refreshViews();
    return this.sView;
  }

  get weights(): Float64Array {
    if (!this.disposed) this.refreshViews();
    return this.wView;
  }

  get tangent(): Float64Array {
    if (!this.disposed) this.refreshViews();
    return this.qView;
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, n);
  }

  /** native NetworkBinding::Alive. */
  private alive(): void {
    if (this.disposed) throwRange("this network has been disposed");
  }

  /** native NetworkBinding::Held: the current state must be finite. */
  private checkWeights(): void {
    const st = this.state;
    const p = firstNonFinite(st, this.stateDimension);
    if (p >= 0) throwNonFinite(st, "state", p);
  }

  /** Copies n int32 values into a scratch buffer; returns its address. */
  private i32In(scratch: Scratch, values: Int32Array): number {
    const ptr = scratch.ensure(Math.max(1, Math.ceil(values.length / 2)));
    new Int32Array(this.ex.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  private reserveBatches(): void {
    if (this.ex.network_reserve_batches(this.ptr) === 0) {
      throwRange(`out of WebAssembly memory for the minibatch buffers (samples = ${this.samples})`);
    }
  }

  /** H and G of the explicit route, allocated before any kernel may need them. */
  private reserveHessian(): void {
    if (this.ex.network_reserve_hessian(this.ptr) === 0) {
      throwRange(
        `out of WebAssembly memory for the explicit Hessian (D = ${this.dimension}, samples = ${this.samples})`,
      );
    }
  }

  private reserveForRoute(k: number, route: number): void {
    if (k <= 0) return;
    const resolved = route === TangentRoute.auto ? this.ex.network_choose_route(this.ptr, k, this.samples) : route;
    if (resolved === TangentRoute.hessian) this.reserveHessian();
    if (resolved === TangentRoute.factored && this.ex.network_reserve_factored(this.ptr) === 0) {
      throwRange(
        `out of WebAssembly memory for the factored Hessian (D = ${this.dimension}, samples = ${this.samples})`,
      );
    }
  }

  loss(): number {
    this.alive();
    this.checkWeights();
    return this.ex.network_loss(this.ptr);
  }

  lossGrad(grad: Float64Array): number {
    this.alive();
    const out = argF64(grad, "grad", this.dimension, true, false);
    this.checkWeights();
    const g = this.ex.network_grad(this.ptr);
    const loss = this.ex.network_loss_grad(this.ptr, g);
    out.set(this.f64(g, this.dimension));
    return loss;
  }

  hessian(H: Float64Array): void {
    this.alive();
    const D = this.dimension;
    const out = argF64(H, "H", D * D, true, false);
    this.checkWeights();
    this.reserveHessian();
    const h = this.ex.network_h(this.ptr);
    this.ex.network_hessian(this.ptr, h);
    out.set(this.f64(h, D * D));
  }

  hvp(V: Float64Array, k: number, HV: Float64Array): void {
    this.alive();
    const D = this.dimension;
    const kk = argInt(k, "k", 1, Math.floor(INT_MAX / D));
    const vIn = argF64(V, "V", D * kk, false, true);
    const hvOut = argF64(HV, "HV", D * kk, false, false);
    argDistinct("V", vIn.subarray(0, D * kk), "HV", hvOut.subarray(0, D * kk));
    this.checkWeights();
    // Columns are independent (hessian.ts: hvp_batch), so a large k runs in blocks of columns.
    const cols = Math.max(1, Math.min(kk, Math.floor(HVP_BLOCK_DOUBLES / D)));
    const vPtr = this.scratchA.ensure(D * cols);
    const hvPtr = this.scratchB.ensure(D * cols);
    for (let c0 = 0; c0 < kk; c0 += cols) {
      const n = Math.min(cols, kk - c0);
      this.f64(vPtr, D * n).set(vIn.subarray(c0 * D, (c0 + n) * D));
      this.ex.network_hvp(this.ptr, vPtr, n, hvPtr, c0 === 0 ? 1 : 0);
      hvOut.set(this.f64(hvPtr, D * n), c0 * D);
    }
  }

  tangentApply(k: number, route: number, t: number, batch: Int32Array | null = null): void {
    this.alive();
    const kk = argInt(k, "k", 0, this.maxK);
    const r = argInt(route, "route", TangentRoute.auto, TangentRoute.factored);
    const step = argInt(t, "t", 0, INT_MAX);
    const b = argI32(batch, "batch", -1, 0, this.samples - 1, true);
    if (b && (b.length < 1 || b.length > this.samples)) {
      throwRange(`expected batch to hold 1 to ${this.samples} samples but it holds ${b.length}`);
    }
    this.checkWeights();
    this.reserveForRoute(kk, r);
    let bPtr = 0;
    if (b) {
      this.reserveBatches();
      bPtr = this.i32In(this.scratchA, b);
    }
    this.ex.network_tangent_apply(this.ptr, kk, r, step, bPtr, b ? b.length : 0);
  }

  trainChunk(req: ChunkRequest): ChunkResult {
    this.alive();
    const c = checkChunk(req, this.maxK, TangentRoute.auto, TangentRoute.factored);
    const [kk, steps, every, r, t0] = [c.k, c.nSteps, c.qrEvery, c.route, c.t0];
    const batches = checkBatches(req.batches, this.samples, steps);
    const nQr = kk > 0 ? Math.floor(steps / every) : 0;
    const lossDst = argF64(req.lossOut, "lossOut", steps, false, false);
    const logRDst = argF64(req.logRDiag, "logRDiag", nQr * kk, false, false);
    const rDst = argF64(req.rOut ?? null, "rOut", nQr * kk * kk, false, false, true);
    const outs = [
      ["lossOut", lossDst.subarray(0, steps)],
      ["logRDiag", logRDst.subarray(0, nQr * kk)],
      ["rOut", rDst ? rDst.subarray(0, nQr * kk * kk) : null],
    ] as const;
    for (let i = 0; i < outs.length; i++)
      for (let j = i + 1; j < outs.length; j++) argDistinct(outs[i][0], outs[i][1], outs[j][0], outs[j][1]);
    this.checkWeights();
    const Q = this.tangent;
    const bad = firstNonFinite(Q, this.stateDimension * kk);
    if (bad >= 0) throwNonFinite(Q, "Q", bad);
    this.reserveForRoute(kk, r);
    if (batches) this.reserveBatches();

    // Blocks of whole QR periods, so that the outputs of one block fit a bounded scratch buffer; the state (w, Q)
    // stays in linear memory between blocks, so the result is that of one call.
    let block: number;
    if (kk === 0) block = Math.min(steps, CHUNK_BLOCK_DOUBLES);
    else {
      const perQr = every + kk + (rDst ? kk * kk : 0);
      block = Math.min(steps, Math.max(1, Math.floor(CHUNK_BLOCK_DOUBLES / perQr)) * every);
    }
    const blockQr = kk > 0 ? block / every : 0;
    const nLoss = even(block);
    const nLogR = even(blockQr * kk);
    const nR = rDst ? even(blockQr * kk * kk) : 0;
    const base = this.scratchA.ensure(nLoss + nLogR + nR);
    const lossPtr = base;
    const logRPtr = base + 8 * nLoss;
    const rPtr = rDst ? logRPtr + 8 * nLogR : 0;

    let done = 0;
    let qrDone = 0;
    let reason = 0;
    while (done < steps) {
      const n = Math.min(block, steps - done);
      const [idxPtr, offPtr] = batches ? blockBatches(this.ex, this.scratchB, batches, done, n) : [0, 0];
      reason = this.ex.network_train_chunk(
        this.ptr,
        kk,
        n,
        every,
        r,
        t0 + done,
        idxPtr,
        offPtr,
        lossPtr,
        logRPtr,
        rPtr,
      );
      const st = this.ex.network_chunk_steps();
      const nq = this.ex.network_chunk_qrs();
      // A non-finite loss is written before the step stops (steps = t), so it is copied too.
      lossDst.set(this.f64(lossPtr, st + (reason === 1 ? 1 : 0)), done);
      if (nq > 0) {
        logRDst.set(this.f64(logRPtr, nq * kk), qrDone * kk);
        if (rDst) rDst.set(this.f64(rPtr, nq * kk * kk), qrDone * kk * kk);
      }
      done += st;
      qrDone += nq;
      if (reason !== 0) break;
    }
    return { steps: done, diverged: reason !== 0, reason };
  }

  chooseRoute(k: number, samples: number = this.samples): number {
    this.alive();
    const kk = argInt(k, "k", 0, this.maxK > 0 ? this.maxK : this.stateDimension);
    const n = argInt(samples, "samples", 1, this.samples);
    return this.ex.network_choose_route(this.ptr, kk, n);
  }

  dispose(): void {
    if (this.disposed) return;
    // Like native's arrays, the final weights and tangent stay readable: copies replace the views.
    this.refreshViews();
    this.sView = this.sView.slice();
    this.wView = this.sView.subarray(0, this.dimension);
    this.qView = this.qView.slice();
    this.viewBuffer = null;
    this.scratchA.release();
    this.scratchB.release();
    this.ex.network_free(this.ptr);
    this.ptr = 0;
    this.disposed = true;
  }
}
