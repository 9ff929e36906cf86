/**
 * A network bound to the WASM backend (the NetworkKernel of wasm.ts): its data and workspaces live in linear memory
 * (assembly/network.ts) and are freed by dispose(). Every method validates its arguments as native/bind_network.cc
 * does, with the guards of guards.ts, before calling into the module.
 *
 * The state and the tangent block handed out (`state`, `weights`, `tangent`) are ordinary Float64Arrays owned by this
 * object, not views of linear memory: they are copied into the module's state and Q before every call that reads them
 * and back after every call that changes them. A view would go stale, silently: after memory grows it is detached
 * (writes are lost), and after dispose() it points at memory the next network is given (writes land in that
 * network). These arrays stay valid for the object's life, hold the final state after dispose(), and are checked
 * again at every call like the native binding's (attached, length S and S maxK). The copies cost O(S + S k) per
 * call, against the O(N D k) or more of the call itself.
 */
import {
  argAllDisjoint,
  argDisjoint,
  argF64,
  argI32,
  argInt,
  checkBatches,
  checkChunk,
  firstNonFinite,
  heldF64,
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
  readonly state: Float64Array;
  readonly weights: Float64Array;
  readonly tangent: Float64Array;
  private ptr: number;
  private disposed = false;
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
    this.state = new Float64Array(this.stateDimension);
    this.weights = this.state.subarray(0, this.dimension);
    this.tangent = new Float64Array(this.stateDimension * maxK);
    this.scratchA = new Scratch(ex);
    this.scratchB = new Scratch(ex);
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, n);
  }

  /** native NetworkBinding::Alive and the first half of Held: the held arrays still attached with their lengths. */
  private alive(): void {
    if (this.disposed) throwRange("this network has been disposed");
    heldF64(this.state, "state", this.stateDimension);
    heldF64(this.tangent, "Q", this.stateDimension * this.maxK);
  }

  /** native NetworkBinding::Held: the current state must be finite. */
  private checkWeights(): void {
    const st = this.state;
    const p = firstNonFinite(st, this.stateDimension);
    if (p >= 0) throwNonFinite(st, "state", p);
  }

  /** An output of a call apart from the held state and tangent block (native: ArgDisjoint against them). */
  private apartFromHeld(name: string, out: Float64Array | null, n: number): void {
    if (!out) return;
    const v = out.subarray(0, n);
    argDisjoint(name, v, "state", this.state);
    argDisjoint(name, v, "Q", this.tangent);
  }

  /** The state (and the first k tangent columns) into linear memory, after every allocation of the call. */
  private copyIn(k: number): void {
    this.f64(this.sPtr, this.stateDimension).set(this.state);
    const n = this.stateDimension * k;
    if (n > 0) this.f64(this.qPtr, n).set(this.tangent.subarray(0, n));
  }

  /** The state and the first k tangent columns back out of linear memory after a call that changed them. */
  private copyOut(k: number, state: boolean): void {
    if (state) this.state.set(this.f64(this.sPtr, this.stateDimension));
    const n = this.stateDimension * k;
    if (n > 0) this.tangent.set(this.f64(this.qPtr, n), 0);
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
    this.copyIn(0);
    return this.ex.network_loss(this.ptr);
  }

  lossGrad(grad: Float64Array): number {
    this.alive();
    const out = argF64(grad, "grad", this.dimension, true, false);
    this.apartFromHeld("grad", out, this.dimension);
    this.checkWeights();
    this.copyIn(0);
    const g = this.ex.network_grad(this.ptr);
    const loss = this.ex.network_loss_grad(this.ptr, g);
    out.set(this.f64(g, this.dimension));
    return loss;
  }

  hessian(H: Float64Array): void {
    this.alive();
    const D = this.dimension;
    const out = argF64(H, "H", D * D, true, false);
    this.apartFromHeld("H", out, D * D);
    this.checkWeights();
    this.reserveHessian();
    this.copyIn(0);
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
    argDisjoint("V", vIn.subarray(0, D * kk), "HV", hvOut.subarray(0, D * kk));
    this.apartFromHeld("HV", hvOut, D * kk);
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
    this.copyIn(kk);
    this.ex.network_tangent_apply(this.ptr, kk, r, step, bPtr, b ? b.length : 0);
    this.copyOut(kk, false);
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
    argAllDisjoint(outs);
    for (const [name, out] of outs) this.apartFromHeld(name, out, out ? out.length : 0);
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
    // Growing memory below (the blocks' minibatches) moves nothing already in it.
    this.copyIn(kk);

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
    this.copyOut(kk, true);
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
    // The state and tangent arrays are this object's own: they keep the final state.
    this.scratchA.release();
    this.scratchB.release();
    this.ex.network_free(this.ptr);
    this.ptr = 0;
    this.disposed = true;
  }
}
