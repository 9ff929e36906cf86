/**
 * The raw side of the WASM backend: the export table of assembly/index.ts and the scratch buffers the adapter copies
 * through. Pointers are byte addresses in linear memory.
 */
import { throwRange } from "./guards.js";

/** The export table of assembly/index.ts (pointers are byte addresses in linear memory). */
export interface WasmExports {
  memory: WebAssembly.Memory;
  alloc_f64(n: number): number;
  free(ptr: number): void;
  heap_top(): number;
  activation(id: number, param: number, z: number, f: number, d1: number, d2: number, n: number): void;
  qr_positive(A: number, D: number, k: number, R: number, logRDiag: number, tau: number): void;
  rule_bytes(): number;
  rule_set(rule: number, id: number, eta: number, p0: number, p1: number, p2: number): void;
  rule_step(rule: number, D: number, state: number, g: number, t: number): void;
  rule_tangent(rule: number, D: number, state: number, g: number, t: number, Q: number, k: number, HQ: number): void;
  network_create(
    L: number,
    widths: number,
    acts: number,
    actParams: number,
    N: number,
    maxK: number,
    rule: number,
    eta: number,
    p0: number,
    p1: number,
    p2: number,
  ): number;
  network_free(net: number): void;
  deep_kernels(on: number): number;
  network_reserve_hessian(net: number): number;
  network_reserve_factored(net: number): number;
  network_reserve_batches(net: number): number;
  network_dimension(net: number): number;
  network_state_dimension(net: number): number;
  network_x(net: number): number;
  network_y(net: number): number;
  network_state(net: number): number;
  network_q(net: number): number;
  network_grad(net: number): number;
  network_h(net: number): number;
  network_loss(net: number): number;
  network_loss_grad(net: number, grad: number): number;
  network_hessian(net: number, H: number): void;
  network_hvp(net: number, V: number, k: number, HV: number, forward: number): void;
  network_tangent_apply(net: number, k: number, route: number, t: number, batch: number, nBatch: number): void;
  network_train_chunk(
    net: number,
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    t0: number,
    batchIdx: number,
    batchOff: number,
    lossOut: number,
    logRDiag: number,
    rOut: number,
  ): number;
  network_chunk_steps(): number;
  network_chunk_qrs(): number;
  network_choose_route(net: number, k: number, samples: number): number;
  ensemble_lanes(): number;
  ensemble_create(
    nIn: number,
    nHid: number,
    nOut: number,
    act: number,
    actParam: number,
    outAct: number,
    N: number,
    maxK: number,
    rule: number,
    eta: number,
    p0: number,
    p1: number,
    p2: number,
    runs: number,
  ): number;
  ensemble_free(e: number): void;
  ensemble_reserve_hessian(e: number): number;
  ensemble_reserve_factored(e: number): number;
  ensemble_reserve_batches(e: number): number;
  ensemble_x(e: number): number;
  ensemble_y(e: number): number;
  ensemble_dimension(e: number): number;
  ensemble_state_dimension(e: number): number;
  ensemble_set_state(e: number, run: number, x: number): void;
  ensemble_get_state(e: number, run: number, out: number): void;
  ensemble_set_tangent(e: number, run: number, Q: number): void;
  ensemble_get_tangent(e: number, run: number, out: number): void;
  ensemble_loss(e: number, out: number): void;
  ensemble_train_chunk(
    e: number,
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    t0: number,
    batchIdx: number,
    batchOff: number,
    lossOut: number,
    logRDiag: number,
    stepsOut: number,
  ): void;
  ensemble_reason(e: number, run: number): number;
}

/** A buffer of doubles in linear memory, reused and grown (never shrunk) on demand. */
export class Scratch {
  private ptr = 0;
  private capacity = 0;
  constructor(private readonly ex: WasmExports) {}
  /** The address of at least n doubles. */
  ensure(n: number): number {
    if (n > this.capacity || this.ptr === 0) {
      this.release();
      const ptr = this.ex.alloc_f64(Math.max(n, 2));
      if (ptr === 0) throwRange(`out of WebAssembly memory (${n} doubles requested)`);
      this.ptr = ptr;
      this.capacity = Math.max(n, 2);
    }
    return this.ptr;
  }
  release(): void {
    if (this.ptr !== 0) this.ex.free(this.ptr);
    this.ptr = 0;
    this.capacity = 0;
  }
}

/** Rounds a count of doubles up to even, so blocks carved from one scratch stay 16-byte aligned. */
export const even = (n: number): number => n + (n & 1);

/**
 * The minibatches of steps [done, done + n) of a blocked trainChunk copied into scratch, the offsets rebased to the
 * block's first index: the addresses of the indices and of the n + 1 offsets (i32).
 */
export function blockBatches(
  ex: WasmExports,
  scratch: Scratch,
  batches: { indices: Int32Array; offsets: Int32Array },
  done: number,
  n: number,
): [number, number] {
  const from = batches.offsets[done];
  const offsets = batches.offsets.subarray(done, done + n + 1).map((o) => o - from);
  const indices = batches.indices.subarray(from, batches.offsets[done + n]);
  const nI = Math.ceil(indices.length / 2);
  const ptr = scratch.ensure(nI + Math.ceil((n + 1) / 2));
  new Int32Array(ex.memory.buffer, ptr, indices.length).set(indices);
  new Int32Array(ex.memory.buffer, ptr + 8 * nI, n + 1).set(offsets);
  return [ptr, ptr + 8 * nI];
}
