/**
 * The part of the public API that needs no Node built-in: systems, algorithms, the WASM backend adapter, the kernel
 * tables. Re-exports only; both entry points re-export it: src/index.ts (Node: adds the loader, config files, runs)
 * and src/browser.ts (pages and bundlers: adds loading the WASM kernels from a URL or bytes).
 */

export {
  layerComposition,
  minimalSubspaceAngle,
  parameterName,
  topComponents,
  vectorAngle,
} from "./algorithms/angles.js";
export {
  type ClvOptions,
  type ClvPlan,
  ClvRecorder,
  type ClvResult,
  clvVector,
  covariantLyapunovVectors,
  planClv,
} from "./algorithms/clv.js";
export { ClvMemoryError, clvMemoryEstimate } from "./algorithms/clv-memory.js";
export type { FtleWindows, RunningEstimates } from "./algorithms/ftle.js";
export { type ChunkInfo, lyapunovSpectrum, type SpectrumOptions, type SpectrumResult } from "./algorithms/spectrum.js";
export {
  ACTIVATION_NAMES,
  ActivationId,
  type ActivationName,
  type Backend,
  type NetworkKernel,
  type NetworkShape,
  OUTPUT_ACTIVATION_NAMES,
} from "./backend/types.js";
export { createWasmBackend, type WasmBackend } from "./backend/wasm.js";
export { loadWasmModule, type WasmSource } from "./backend/wasm-module.js";
export { ConfigError } from "./config/errors.js";
export { networkShape, parameterCount } from "./config/shape.js";
export { TARGET_NAMES, TARGETS } from "./data/targets.js";
export { type MapDefinition, MapSystem } from "./system/map.js";
export { NetworkSystem, type NetworkSystemOptions } from "./system/network.js";
export { createRng } from "./system/rng.js";
export type { EvolveResult, TangentSystem } from "./system/types.js";
