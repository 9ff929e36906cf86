/**
 * The hidden switch that runs the general-depth kernels on networks of one hidden layer (native/kernels/depth.h,
 * assembly/depth.ts), for the tests that hold them against the three-layer kernels.
 */
import { loadNativeAddon } from "../../src/backend/native.js";
import type { Backend } from "../../src/backend/types.js";
import type { WasmBackend } from "../../src/backend/wasm.js";

/** Sets the switch on `backend` (native: process-wide; WASM: this backend's instance) and returns the old setting. */
export function deepKernels(backend: Backend, on: boolean): boolean {
  if (backend.name === "native") {
    const addon = loadNativeAddon();
    const old = addon._deepKernels();
    addon._deepKernels(on);
    return old;
  }
  const wasm = backend as WasmBackend;
  const old = wasm._deepKernels();
  wasm._deepKernels(on);
  return old;
}

/** Runs body with the general kernels on one-hidden-layer networks of `backend`, then restores the switch. */
export function withDeepKernels<T>(backend: Backend, body: () => T): T {
  const old = deepKernels(backend, true);
  try {
    return body();
  } finally {
    deepKernels(backend, old);
  }
}
