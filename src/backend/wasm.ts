/**
 * The WebAssembly backend: the AssemblyScript kernels in assembly/ compiled to build-wasm/weightdyn.wasm. Free of Node
 * built-ins, so the browser entry uses it as it is; how the module is compiled is up to the caller (createWasmBackend).
 *
 * The module raises no JavaScript exceptions, so this adapter validates every argument first, in the same order and
 * with the same messages as the native binding (guards.ts mirrors native/args.cc). Argument counts are not checked:
 * the native adapter (native.ts) always passes every argument to the binding, so a missing one reaches it as
 * undefined and fails its type check; here it fails the same check with the same message.
 *
 * Each backend instance has its own linear memory; worker threads share one compiled module: they receive the
 * WebAssembly.Module by postMessage and call createWasmBackend(module). Networks: wasm-network.ts; ensembles:
 * wasm-ensemble.ts; the export table and scratch buffers: wasm-memory.ts.
 *
 * Memory: a network, its data and workspaces live in linear memory and are freed by dispose(). Stateless calls copy
 * in and out through scratch buffers that are reused; calls whose outputs can be split (activation, hvp, trainChunk)
 * are run in blocks of bounded size, so no call grows memory beyond a fixed bound plus the network's own storage
 * (qrPositive's scratch grows to the largest matrix seen).
 */
import {
  ACT_COUNT,
  argAllDisjoint,
  argDisjoint,
  argF64,
  argFinite,
  argInt,
  checkEnsembleArgs,
  checkNetworkArgs,
  checkRule,
  cppDoubleToString,
  INT_MAX,
  MAX_STATE,
  throwRange,
} from "./guards.js";
import { RULES } from "./tables.js";
import type { Backend, EnsembleKernel, EnsembleSpec, NetworkKernel, NetworkSpec, TrainingRule } from "./types.js";
import { createWasmEnsemble } from "./wasm-ensemble.js";
import { even, Scratch, type WasmExports } from "./wasm-memory.js";
import { WasmNetworkKernel } from "./wasm-network.js";

export type { WasmExports } from "./wasm-memory.js";

/** The WASM backend, with its linear memory exposed for tests and diagnostics. */
export interface WasmBackend extends Backend {
  readonly name: "wasm";
  readonly memory: WebAssembly.Memory;
  /**
   * Hidden, for the tests (native: the addon's _deepKernels): while set to true, networks of one hidden layer run the
   * general-depth kernels (assembly/depth.ts) instead of the three-layer ones; returns the setting.
   */
  _deepKernels(on?: boolean): boolean;
}

/** Elements per block of activation calls. */
const ACTIVATION_BLOCK = 4096;

/**
 * Instantiates the compiled kernels with their own linear memory. The module comes from compileWasmModule() in Node
 * (wasm-file.ts) or loadWasmModule(source) in a page (wasm-module.ts); no Node built-in is used here.
 */
export function createWasmBackend(module: WebAssembly.Module): WasmBackend {
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(
      "weightdyn: createWasmBackend expects the compiled kernels: compileWasmModule() in Node, await loadWasmModule(url) in a page",
    );
  }
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort: () => {
        throw new Error("weightdyn: the WASM module aborted");
      },
    },
  });
  const ex = instance.exports as unknown as WasmExports;
  const view = (ptr: number, n: number) => new Float64Array(ex.memory.buffer, ptr, n);
  const actScratch = new Scratch(ex);
  const qrScratch = new Scratch(ex);
  const ruleScratch = new Scratch(ex);
  const stepScratch = new Scratch(ex);
  const shapeScratch = new Scratch(ex);
  const ensembleLanes = ex.ensemble_lanes();

  return {
    name: "wasm",
    memory: ex.memory,
    _deepKernels: (on?: boolean) => ex.deep_kernels(on === undefined ? -1 : on ? 1 : 0) !== 0,
    ensembleLanes,
    createEnsemble: (spec: EnsembleSpec): EnsembleKernel =>
      createWasmEnsemble(ex, checkEnsembleArgs(spec, ensembleLanes)),
    // WebAssembly here is single-threaded: a network asking for more threads runs on one (the same results).
    maxThreads: 1,

    activation(id: number, param: number, z: Float64Array, f: Float64Array, d1: Float64Array, d2: Float64Array) {
      const i = argInt(id, "id", 0, ACT_COUNT - 1);
      const a = argFinite(param, "param", false);
      const n = argF64(z, "z", 0, false, false).length;
      const zIn = argF64(z, "z", n, true, true);
      const fOut = argF64(f, "f", n, true, false);
      const d1Out = argF64(d1, "d1", n, true, false);
      const d2Out = argF64(d2, "d2", n, true, false);
      argAllDisjoint([
        ["z", zIn],
        ["f", fOut],
        ["d1", d1Out],
        ["d2", d2Out],
      ]);
      const base = actScratch.ensure(4 * ACTIVATION_BLOCK);
      const zp = base;
      const fp = zp + 8 * ACTIVATION_BLOCK;
      const d1p = fp + 8 * ACTIVATION_BLOCK;
      const d2p = d1p + 8 * ACTIVATION_BLOCK;
      for (let s = 0; s < n; s += ACTIVATION_BLOCK) {
        const m = Math.min(ACTIVATION_BLOCK, n - s);
        view(zp, m).set(zIn.subarray(s, s + m));
        ex.activation(i, a, zp, fp, d1p, d2p, m);
        fOut.set(view(fp, m), s);
        d1Out.set(view(d1p, m), s);
        d2Out.set(view(d2p, m), s);
      }
    },

    qrPositive(A: Float64Array, D: number, k: number, R: Float64Array, logRDiag: Float64Array) {
      const rows = argInt(D, "D", 1, 1 << 24);
      const cols = argInt(k, "k", 1, rows);
      if (rows * cols > INT_MAX) throwRange("D * k is too large");
      const aIO = argF64(A, "A", rows * cols, false, true);
      const rOut = argF64(R, "R", cols * cols, false, false);
      const logROut = argF64(logRDiag, "logRDiag", cols, false, false);
      argAllDisjoint([
        ["A", aIO],
        ["R", rOut],
        ["logRDiag", logROut],
      ]);
      const nA = even(rows * cols);
      const nR = even(cols * cols);
      const nK = even(cols);
      const aPtr = qrScratch.ensure(nA + nR + 2 * nK);
      const rPtr = aPtr + 8 * nA;
      const logRPtr = rPtr + 8 * nR;
      const tauPtr = logRPtr + 8 * nK;
      view(aPtr, rows * cols).set(aIO.subarray(0, rows * cols));
      ex.qr_positive(aPtr, rows, cols, rPtr, logRPtr, tauPtr);
      aIO.set(view(aPtr, rows * cols));
      rOut.set(view(rPtr, cols * cols));
      logROut.set(view(logRPtr, cols));
    },

    ruleStep(rule: TrainingRule, D: number, state: Float64Array, g: Float64Array, t: number) {
      const r = checkRule(rule);
      const blocks = RULES[r.id].stateBlocks;
      const n = argInt(D, "D", 1, Math.floor(MAX_STATE / blocks));
      const S = n * blocks;
      const sIO = argF64(state, "state", S, true, true);
      const gIn = argF64(g, "g", n, true, true);
      const step = argStep(t);
      argDisjoint("state", sIO, "g", gIn);
      const rulePtr = ruleScratch.ensure(even(ex.rule_bytes() / 8));
      const sPtr = stepScratch.ensure(even(S) + even(n));
      const gPtr = sPtr + 8 * even(S);
      ex.rule_set(rulePtr, r.id, r.eta, r.params[0] ?? 0, r.params[1] ?? 0, r.params[2] ?? 0);
      view(sPtr, S).set(sIO);
      view(gPtr, n).set(gIn);
      ex.rule_step(rulePtr, n, sPtr, gPtr, step);
      sIO.set(view(sPtr, S));
    },

    ruleTangent(rule, D, state, g, t, Q, k, HQ) {
      const r = checkRule(rule);
      const blocks = RULES[r.id].stateBlocks;
      const n = argInt(D, "D", 1, Math.floor(MAX_STATE / blocks));
      const S = n * blocks;
      const sIn = argF64(state, "state", S, true, true);
      const gIn = argF64(g, "g", n, true, true);
      const step = argStep(t);
      const cols = argInt(k, "k", 1, Math.floor(INT_MAX / S));
      const qIO = argF64(Q, "Q", S * cols, true, true);
      const hqIn = argF64(HQ, "HQ", n * cols, true, true);
      argDisjoint("Q", qIO, "HQ", hqIn);
      argDisjoint("Q", qIO, "state", sIn);
      argDisjoint("Q", qIO, "g", gIn);
      const rulePtr = ruleScratch.ensure(even(ex.rule_bytes() / 8));
      const nS = even(S);
      const nG = even(n);
      const nQ = even(S * cols);
      const sPtr = stepScratch.ensure(nS + nG + nQ + even(n * cols));
      const gPtr = sPtr + 8 * nS;
      const qPtr = gPtr + 8 * nG;
      const hqPtr = qPtr + 8 * nQ;
      ex.rule_set(rulePtr, r.id, r.eta, r.params[0] ?? 0, r.params[1] ?? 0, r.params[2] ?? 0);
      view(sPtr, S).set(sIn);
      view(gPtr, n).set(gIn);
      view(qPtr, S * cols).set(qIO);
      view(hqPtr, n * cols).set(hqIn);
      ex.rule_tangent(rulePtr, n, sPtr, gPtr, step, qPtr, cols, hqPtr);
      qIO.set(view(qPtr, S * cols));
    },

    createNetwork(spec: NetworkSpec): NetworkKernel {
      const a = checkNetworkArgs(spec);
      const L = a.layers.length - 2;
      const inputs = a.layers[0];
      const outputs = a.layers[L + 1];
      const p = a.rule.params;
      // The shape through linear memory (native takes it as typed arrays): L + 2 widths and L + 1 activation ids
      // (i32), then L activation parameters (f64).
      const nI32 = even(Math.ceil((2 * L + 3) / 2));
      const base = shapeScratch.ensure(nI32 + even(L));
      const ints = new Int32Array(ex.memory.buffer, base, 2 * L + 3);
      ints.set(a.layers);
      ints.set(a.acts, L + 2);
      view(base + 8 * nI32, L).set(a.params);
      const ptr = ex.network_create(
        L,
        base,
        base + 4 * (L + 2),
        base + 8 * nI32,
        a.N,
        a.maxK,
        a.rule.id,
        a.rule.eta,
        p[0] ?? 0,
        p[1] ?? 0,
        p[2] ?? 0,
      );
      if (ptr === 0) throwRange("the network and data are too large");
      view(ex.network_x(ptr), a.N * inputs).set(a.X);
      view(ex.network_y(ptr), a.N * outputs).set(a.Y);
      return new WasmNetworkKernel(ex, ptr, a.N, a.maxK);
    },
  };
}

/** native ArgStep (bind_kernels.cc): a step index, an integer in [0, 2^53]. */
function argStep(t: unknown): number {
  const v = argFinite(t, "t", false);
  if (v < 0 || Math.floor(v) !== v || v > 2 ** 53) {
    throwRange(`expected an integer in [0, 2^53] for t but received ${cppDoubleToString(v)}`);
  }
  return v;
}
