/**
 * Linear memory of the WASM backend: the allocator (assembly/heap.ts) and the adapter's scratch buffers
 * (src/backend/wasm.ts) must not leak. 10^4 consecutive calls of each kind, after a warm-up, may grow
 * memory.buffer.byteLength by at most GROWTH_BOUND.
 */
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import type { NetworkShape } from "../src/backend/types.js";
import { createWasmBackend, type WasmExports } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { chunk, createKernel, gd } from "./support/networks.js";

const CALLS = 10_000;
/** Growth allowed after warm-up (16 pages); a leak of even 8 bytes per call would exceed it within 10^4 calls. */
const GROWTH_BOUND = 1 << 20;

const backend = createWasmBackend(compileWasmModule());
const bytes = () => backend.memory.buffer.byteLength;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const shape: NetworkShape = {
  inputs: 2,
  hidden: 4,
  outputs: 1,
  activation: 1,
  activationParam: 0,
  outputActivation: 0,
};
const N = 8;
const rnd = lcg(3);
const X = Float64Array.from({ length: N * 2 }, rnd);
const Y = Float64Array.from({ length: N }, rnd);

/** Runs `call` a few times, then CALLS times, and returns the growth of linear memory over the CALLS calls. */
function growthOver(call: (i: number) => void): number {
  for (let i = 0; i < 20; ++i) call(i);
  const before = bytes();
  for (let i = 0; i < CALLS; ++i) call(i);
  return bytes() - before;
}

function freshNetwork(maxK: number) {
  const net = createKernel(backend, shape, X, Y, maxK, gd(0.01));
  const w = net.weights;
  for (let p = 0; p < w.length; ++p) w[p] = 0.3 * rnd();
  return net;
}

describe("wasm memory: 10^4 consecutive calls stay within a bound", () => {
  it("lossGrad (wasm)", () => {
    const net = freshNetwork(0);
    const grad = new Float64Array(net.dimension);
    expect(growthOver(() => net.lossGrad(grad))).toBeLessThanOrEqual(GROWTH_BOUND);
    net.dispose();
  });

  it("trainChunk with k = D, rOut and both routes (wasm)", () => {
    const D = parameterCount(shape);
    const net = freshNetwork(D);
    const lossOut = new Float64Array(2);
    const logR = new Float64Array(2 * D);
    const rOut = new Float64Array(2 * D * D);
    const growth = growthOver((i) => {
      const Q = net.tangent;
      Q.fill(0);
      for (let j = 0; j < D; ++j) Q[j * D + j] = 1;
      net.weights.fill(0.1);
      net.trainChunk(chunk(D, 2, 1, 1 + (i % 2), lossOut, logR, i % 3 === 0 ? null : rOut));
    });
    expect(growth).toBeLessThanOrEqual(GROWTH_BOUND);
    net.dispose();
  });

  it("trainChunk of 2 * 10^5 steps with rOut uses bounded scratch (wasm)", () => {
    const net = freshNetwork(2);
    const Q = net.tangent;
    Q[0] = 1;
    Q[net.dimension + 1] = 1;
    const steps = 200_000;
    const before = bytes();
    const res = net.trainChunk(
      chunk(2, steps, 1, 2, new Float64Array(steps), new Float64Array(2 * steps), new Float64Array(4 * steps)),
    );
    expect(res.steps).toBe(steps);
    expect(bytes() - before).toBeLessThanOrEqual(2 * GROWTH_BOUND);
    net.dispose();
  });

  it("qrPositive (wasm)", () => {
    const r = lcg(5);
    const A0 = Float64Array.from({ length: 12 * 7 }, r);
    const A = new Float64Array(A0.length);
    const R = new Float64Array(49);
    const logR = new Float64Array(7);
    const growth = growthOver(() => {
      A.set(A0);
      backend.qrPositive(A, 12, 7, R, logR);
    });
    expect(growth).toBeLessThanOrEqual(GROWTH_BOUND);
  });

  it("activation, hvp, hessian and tangentApply (wasm)", () => {
    const net = freshNetwork(3);
    const D = net.dimension;
    const z = Float64Array.from({ length: 5000 }, lcg(9));
    const f = new Float64Array(z.length);
    const d1 = new Float64Array(z.length);
    const d2 = new Float64Array(z.length);
    const V = Float64Array.from({ length: 3 * D }, lcg(11));
    const HV = new Float64Array(3 * D);
    const H = new Float64Array(D * D);
    const growth = growthOver((i) => {
      backend.activation(i % 10, 0.1, z, f, d1, d2);
      net.hvp(V, 3, HV);
      net.hessian(H);
      net.tangent.fill(0);
      net.tangentApply(3, i % 3, i);
    });
    expect(growth).toBeLessThanOrEqual(GROWTH_BOUND);
    net.dispose();
  });

  it("createNetwork + dispose, with and without the explicit Hessian allocated (wasm)", () => {
    const D = parameterCount(shape);
    const H = new Float64Array(D * D);
    const growth = growthOver((i) => {
      const net = freshNetwork(i % 4);
      if (i % 2 === 0) net.hessian(H);
      net.dispose();
    });
    expect(growth).toBeLessThanOrEqual(GROWTH_BOUND);
  });

  it("a deep network (2-4-3-1) created, run through every route and disposed, 10^4 times: nothing left behind (wasm)", () => {
    const deep: NetworkShape = { ...shape, hidden: [4, 3], activation: [1, 2], activationParam: [0, 0] };
    const D = parameterCount(deep);
    const H = new Float64Array(D * D);
    const growth = growthOver((i) => {
      const net = createKernel(backend, deep, X, Y, 2, gd(0.01));
      for (let p = 0; p < D; ++p) net.weights[p] = 0.3 * Math.sin(p + i);
      if (i % 3 === 0) net.hessian(H);
      net.tangent.fill(0);
      net.tangent[0] = 1;
      net.tangentApply(1, 1 + (i % 3), 0);
      net.dispose();
    });
    expect(growth).toBeLessThanOrEqual(GROWTH_BOUND);
  });
});

describe("wasm memory: blocked calls and views", () => {
  it("hvp with k beyond one block of columns: bounded scratch, same columns as separate calls (wasm)", () => {
    const net = freshNetwork(0);
    const D = net.dimension;
    const k = Math.floor((1 << 17) / D) + 3; // one block holds floor(2^17 / D) columns
    const V = Float64Array.from({ length: D * k }, lcg(23));
    const HV = new Float64Array(D * k);
    const before = bytes();
    net.hvp(V, k, HV);
    // Two scratch blocks of 2^17 doubles (2 MiB), not 2 D k doubles.
    expect(bytes() - before).toBeLessThanOrEqual(2 * (1 << 20) + GROWTH_BOUND);
    const one = new Float64Array(D);
    for (const c of [0, 1, k - 2, k - 1]) {
      net.hvp(V.subarray(c * D, (c + 1) * D), 1, one);
      expect([...HV.subarray(c * D, (c + 1) * D)]).toEqual([...one]);
    }
    net.dispose();
  });

  it("weights and tangent views follow linear memory when it grows (wasm)", () => {
    const net = freshNetwork(2);
    net.weights.set(Float64Array.from({ length: net.dimension }, (_, i) => i / 8));
    net.tangent[3] = 0.5;
    const buffer = backend.memory.buffer;
    // A network with 2^16 samples needs several MiB: memory grows and the old buffer is detached.
    const big = createKernel(backend, shape, new Float64Array(2 << 16), new Float64Array(1 << 16), 0);
    expect(backend.memory.buffer).not.toBe(buffer);
    expect(net.weights[5]).toBe(5 / 8);
    expect(net.tangent[3]).toBe(0.5);
    expect(Number.isFinite(net.loss())).toBe(true);
    big.dispose();
    net.dispose();
  });

  it("backends instantiated from one compiled module have separate memories (wasm)", () => {
    const module = compileWasmModule();
    const [a, b] = [createWasmBackend(module), createWasmBackend(module)];
    expect(a.memory).not.toBe(b.memory);
    const na = createKernel(a, shape, X, Y, 0);
    const nb = createKernel(b, shape, X, Y, 0);
    na.weights.fill(0.25);
    nb.weights.fill(-0.5);
    expect(na.weights[0]).toBe(0.25);
    expect(na.loss()).not.toBe(nb.loss());
    na.dispose();
    nb.dispose();
  });
});

describe("wasm allocator (assembly/heap.ts)", () => {
  it("random alloc/free: aligned, disjoint blocks; freeing everything restores the heap (wasm)", () => {
    const ex = new WebAssembly.Instance(compileWasmModule(), {}).exports as unknown as WasmExports;
    const r = lcg(17);
    const live = new Map<number, number>(); // ptr -> doubles
    ex.free(ex.alloc_f64(1));
    const top0 = ex.heap_top();
    let peak = 0;
    for (let i = 0; i < CALLS; ++i) {
      if (live.size > 0 && (r() < 0 || live.size > 40)) {
        const keys = [...live.keys()];
        const ptr = keys[Math.floor(((r() + 1) / 2) * keys.length) % keys.length];
        ex.free(ptr);
        live.delete(ptr);
      } else {
        const n = 1 + Math.floor(((r() + 1) / 2) * 3000);
        const ptr = ex.alloc_f64(n);
        expect(ptr).toBeGreaterThan(0);
        expect(ptr % 16).toBe(0);
        // Fill with a tag; overlapping blocks would overwrite each other's tags.
        new Float64Array(ex.memory.buffer, ptr, n).fill(ptr);
        live.set(ptr, n);
      }
      peak = Math.max(peak, ex.heap_top());
    }
    for (const [ptr, n] of live) {
      expect(new Float64Array(ex.memory.buffer, ptr, n).every((v) => v === ptr)).toBe(true);
      ex.free(ptr);
    }
    expect(ex.heap_top()).toBe(top0);
    // At most 41 live blocks of <= 24 kB: first fit with coalescing keeps the heap far below 10^4 allocations' worth.
    expect(peak - top0).toBeLessThan(41 * 3000 * 8 * 4);
  });
});
