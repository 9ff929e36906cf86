/**
 * The WebAssembly backend: the AssemblyScript kernels in assembly/ compiled to build-wasm/weightdyn.wasm.
 *
 * The module raises no JavaScript exceptions, so this adapter validates every argument first, in the same order and
 * with the same messages as the native binding (guards.ts mirrors native/args.cc). Argument counts are not checked:
 * the native adapter (native.ts) always passes every argument to the binding, so a missing one reaches it as
 * undefined and fails its type check; here it fails the same check with the same message.
 *
 * Each backend instance has its own linear memory; worker threads share one compiled module: they receive the
 * WebAssembly.Module by postMessage and call createWasmBackend(module). Networks: wasm-network.ts; the export table
 * and scratch buffers: wasm-memory.ts.
 *
 * Memory: a network, its data and workspaces live in linear memory and are freed by dispose(). Stateless calls copy
 * in and out through scratch buffers that are reused; calls whose outputs can be split (activation, hvp, trainChunk)
 * are run in blocks of bounded size, so no call grows memory beyond a fixed bound plus the network's own storage
 * (qrPositive's scratch grows to the largest matrix seen).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ACT_COUNT, argDisjoint, argF64, argFinite, argInt, checkNetworkArgs, INT_MAX, throwRange } from "./guards.js";
import { packageRoot } from "./root.js";
import type { Backend, NetworkKernel, NetworkShape } from "./types.js";
import { even, Scratch, type WasmExports } from "./wasm-memory.js";
import { WasmNetworkKernel } from "./wasm-network.js";

export type { WasmExports } from "./wasm-memory.js";

/** The WASM backend, with its linear memory exposed for tests and diagnostics. */
export interface WasmBackend extends Backend {
  readonly name: "wasm";
  readonly memory: WebAssembly.Memory;
}

/** Elements per block of activation calls. */
const ACTIVATION_BLOCK = 4096;

let compiled: WebAssembly.Module | undefined;

/** Compiles build-wasm/weightdyn.wasm synchronously, once per thread. */
export function compileWasmModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const path = join(packageRoot(), "build-wasm", "weightdyn.wasm");
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new Error(`weightdyn: ${path} is missing (run npm run build:wasm)`);
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

/** Instantiates the module with its own linear memory. */
export function createWasmBackend(module: WebAssembly.Module = compileWasmModule()): WasmBackend {
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

  return {
    name: "wasm",
    memory: ex.memory,

    activation(id: number, param: number, z: Float64Array, f: Float64Array, d1: Float64Array, d2: Float64Array) {
      const i = argInt(id, "id", 0, ACT_COUNT - 1);
      const a = argFinite(param, "param", false);
      const n = argF64(z, "z", 0, false, false).length;
      const zIn = argF64(z, "z", n, true, true);
      const fOut = argF64(f, "f", n, true, false);
      const d1Out = argF64(d1, "d1", n, true, false);
      const d2Out = argF64(d2, "d2", n, true, false);
      const all: [string, Float64Array][] = [
        ["z", zIn],
        ["f", fOut],
        ["d1", d1Out],
        ["d2", d2Out],
      ];
      for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) argDisjoint(...all[a], n, ...all[b], n);
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
      argDisjoint("A", aIO, rows * cols, "R", rOut, cols * cols);
      argDisjoint("A", aIO, rows * cols, "logRDiag", logROut, cols);
      argDisjoint("R", rOut, cols * cols, "logRDiag", logROut, cols);
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

    createNetwork(shape: NetworkShape, X: Float64Array, Y: Float64Array, maxK: number): NetworkKernel {
      const {
        inputs,
        hidden,
        outputs,
        act,
        param,
        outAct,
        N,
        maxK: K,
        X: xIn,
        Y: yIn,
      } = checkNetworkArgs(shape, X, Y, maxK);
      const ptr = ex.network_create(inputs, hidden, outputs, act, param, outAct, N, K);
      if (ptr === 0) throwRange("the network and data are too large");
      view(ex.network_x(ptr), N * inputs).set(xIn);
      view(ex.network_y(ptr), N * outputs).set(yIn);
      return new WasmNetworkKernel(ex, ptr, N, K);
    },
  };
}
