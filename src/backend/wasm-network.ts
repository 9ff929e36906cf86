/**
 * A network bound to the WASM backend (the NetworkKernel of wasm.ts): its data and workspaces live in linear memory
 * (assembly/network.ts) and are freed by dispose(). Every method validates its arguments as native/bind_network.cc
 * does, with the guards of guards.ts, before calling into the module.
 *
 * The weights and the tangent block handed out (`weights`, `tangent`) are ordinary Float64Arrays owned by this
 * object, not views of linear memory: they are copied into the module's w and Q before every call that reads them
 * and back after every call that changes them. A view would go stale, silently: after memory grows it is detached
 * (writes are lost), and after dispose() it points at memory the next network is given (writes land in that
 * network). These arrays stay valid for the object's life, hold the final state after dispose(), and are checked
 * again at every call like the native binding's (attached, length D and D maxK). The copies cost O(D + D k) per
 * call, against the O(N D k) or more of the call itself.
 */
import {
  argDisjoint,
  argF64,
  argFinite,
  argInt,
  firstNonFinite,
  heldF64,
  INT_MAX,
  throwNonFinite,
  throwRange,
} from "./guards.js";
import type { ChunkResult, NetworkKernel } from "./types.js";
import { TangentRoute } from "./types.js";
import { even, Scratch, type WasmExports } from "./wasm-memory.js";

/** Doubles per block of the blocked calls: hvp columns, trainChunk outputs. */
const HVP_BLOCK_DOUBLES = 1 << 17;
const CHUNK_BLOCK_DOUBLES = 1 << 17;

export class WasmNetworkKernel implements NetworkKernel {
  readonly dimension: number;
  readonly samples: number;
  readonly maxK: number;
  readonly weights: Float64Array;
  readonly tangent: Float64Array;
  private ptr: number;
  private disposed = false;
  private readonly wPtr: number;
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
    this.samples = samples;
    this.maxK = maxK;
    this.wPtr = ex.network_w(ptr);
    this.qPtr = ex.network_q(ptr);
    this.weights = new Float64Array(this.dimension);
    this.tangent = new Float64Array(this.dimension * maxK);
    this.scratchA = new Scratch(ex);
    this.scratchB = new Scratch(ex);
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, n);
  }

  /** native NetworkBinding::Held: alive, and the held arrays still attached with their lengths. */
  private held(): void {
    if (this.disposed) throwRange("this network has been disposed");
    heldF64(this.weights, "w", this.dimension);
    heldF64(this.tangent, "Q", this.dimension * this.maxK);
  }

  /** native NetworkBinding::FiniteWeights: the current weights must be finite. */
  private checkWeights(): void {
    const p = firstNonFinite(this.weights, this.dimension);
    if (p >= 0) throwNonFinite(this.weights, "w", p);
  }

  /** The weights (and the first k tangent columns) into linear memory, after every allocation of the call. */
  private copyIn(k: number): void {
    this.f64(this.wPtr, this.dimension).set(this.weights);
    if (k > 0) this.f64(this.qPtr, this.dimension * k).set(this.tangent.subarray(0, this.dimension * k));
  }

  /** The state back out of linear memory after a call that changed it. */
  private copyOut(k: number, weights: boolean): void {
    if (weights) this.weights.set(this.f64(this.wPtr, this.dimension));
    if (k > 0) this.tangent.set(this.f64(this.qPtr, this.dimension * k));
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
    const resolved = route === TangentRoute.auto ? this.ex.network_choose_route(this.ptr, k) : route;
    if (resolved === TangentRoute.hessian) this.reserveHessian();
    if (resolved === TangentRoute.factored && this.ex.network_reserve_factored(this.ptr) === 0) {
      throwRange(
        `out of WebAssembly memory for the factored Hessian (D = ${this.dimension}, samples = ${this.samples})`,
      );
    }
  }

  loss(): number {
    this.held();
    this.checkWeights();
    this.copyIn(0);
    return this.ex.network_loss(this.ptr);
  }

  lossGrad(grad: Float64Array): number {
    this.held();
    const D = this.dimension;
    const out = argF64(grad, "grad", D, true, false);
    argDisjoint("grad", out, D, "w", this.weights, D);
    argDisjoint("grad", out, D, "Q", this.tangent, D * this.maxK);
    this.checkWeights();
    this.copyIn(0);
    const g = this.ex.network_grad(this.ptr);
    const loss = this.ex.network_loss_grad(this.ptr, g);
    out.set(this.f64(g, this.dimension));
    return loss;
  }

  hessian(H: Float64Array): void {
    this.held();
    const D = this.dimension;
    const out = argF64(H, "H", D * D, true, false);
    argDisjoint("H", out, D * D, "w", this.weights, D);
    argDisjoint("H", out, D * D, "Q", this.tangent, D * this.maxK);
    this.checkWeights();
    this.reserveHessian();
    this.copyIn(0);
    const h = this.ex.network_h(this.ptr);
    this.ex.network_hessian(this.ptr, h);
    out.set(this.f64(h, D * D));
  }

  hvp(V: Float64Array, k: number, HV: Float64Array): void {
    this.held();
    const D = this.dimension;
    const kk = argInt(k, "k", 1, Math.floor(INT_MAX / D));
    const vIn = argF64(V, "V", D * kk, false, true);
    const hvOut = argF64(HV, "HV", D * kk, false, false);
    argDisjoint("V", vIn, D * kk, "HV", hvOut, D * kk);
    argDisjoint("HV", hvOut, D * kk, "w", this.weights, D);
    argDisjoint("HV", hvOut, D * kk, "Q", this.tangent, D * this.maxK);
    this.checkWeights();
    // Columns are independent (hessian.ts: hvp_batch), so a large k runs in blocks of columns.
    const cols = Math.max(1, Math.min(kk, Math.floor(HVP_BLOCK_DOUBLES / D)));
    const vPtr = this.scratchA.ensure(D * cols);
    const hvPtr = this.scratchB.ensure(D * cols);
    this.copyIn(0);
    for (let c0 = 0; c0 < kk; c0 += cols) {
      const n = Math.min(cols, kk - c0);
      this.f64(vPtr, D * n).set(vIn.subarray(c0 * D, (c0 + n) * D));
      this.ex.network_hvp(this.ptr, vPtr, n, hvPtr, c0 === 0 ? 1 : 0);
      hvOut.set(this.f64(hvPtr, D * n), c0 * D);
    }
  }

  tangentApply(eta: number, k: number, route: number): void {
    this.held();
    const e = argFinite(eta, "eta", true);
    const kk = argInt(k, "k", 0, this.maxK);
    const r = argInt(route, "route", TangentRoute.auto, TangentRoute.factored);
    this.checkWeights();
    this.reserveForRoute(kk, r);
    this.copyIn(kk);
    this.ex.network_tangent_apply(this.ptr, e, kk, r);
    this.copyOut(kk, false);
  }

  trainChunk(
    eta: number,
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    lossOut: Float64Array,
    logRDiag: Float64Array,
    rOut: Float64Array | null,
  ): ChunkResult {
    this.held();
    const e = argFinite(eta, "eta", true);
    const kk = argInt(k, "k", 0, this.maxK);
    const steps = argInt(nSteps, "nSteps", 1, INT_MAX);
    const every = argInt(qrEvery, "qrEvery", 1, INT_MAX);
    const r = argInt(route, "route", TangentRoute.auto, TangentRoute.factored);
    if (kk > 0 && steps % every !== 0) {
      throwRange(`nSteps (${steps}) must be a multiple of qrEvery (${every})`);
    }
    const nQr = kk > 0 ? Math.floor(steps / every) : 0;
    const lossDst = argF64(lossOut, "lossOut", steps, false, false);
    const logRDst = argF64(logRDiag, "logRDiag", nQr * kk, false, false);
    const rDst = argF64(rOut, "rOut", nQr * kk * kk, false, false, true);
    // Every output apart from the state and from each other (the order of native's checks).
    const D = this.dimension;
    const w = this.weights;
    const Q = this.tangent;
    const nQ = D * this.maxK;
    const [outL, outG, outR] = [steps, nQr * kk, nQr * kk * kk];
    argDisjoint("lossOut", lossDst, outL, "logRDiag", logRDst, outG);
    argDisjoint("lossOut", lossDst, outL, "rOut", rDst, outR);
    argDisjoint("logRDiag", logRDst, outG, "rOut", rDst, outR);
    argDisjoint("lossOut", lossDst, outL, "w", w, D);
    argDisjoint("lossOut", lossDst, outL, "Q", Q, nQ);
    argDisjoint("logRDiag", logRDst, outG, "w", w, D);
    argDisjoint("logRDiag", logRDst, outG, "Q", Q, nQ);
    argDisjoint("rOut", rDst, outR, "w", w, D);
    argDisjoint("rOut", rDst, outR, "Q", Q, nQ);
    this.checkWeights();
    const bad = firstNonFinite(Q, this.dimension * kk);
    if (bad >= 0) throwNonFinite(Q, "Q", bad);
    this.reserveForRoute(kk, r);

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
    this.copyIn(kk);

    let done = 0;
    let qrDone = 0;
    let reason = 0;
    while (done < steps) {
      const n = Math.min(block, steps - done);
      reason = this.ex.network_train_chunk(this.ptr, e, kk, n, every, r, lossPtr, logRPtr, rPtr);
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
    this.copyOut(kk, true);
    return { steps: done, diverged: reason !== 0, reason };
  }

  chooseRoute(k: number): number {
    this.held();
    const kk = argInt(k, "k", 0, this.maxK > 0 ? this.maxK : this.dimension);
    return this.ex.network_choose_route(this.ptr, kk);
  }

  dispose(): void {
    if (this.disposed) return;
    // The weights and tangent arrays are this object's own: they keep the final state.
    this.scratchA.release();
    this.scratchB.release();
    this.ex.network_free(this.ptr);
    this.ptr = 0;
    this.disposed = true;
  }
}
