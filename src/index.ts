/**
 * weightdyn: the public, typed API. Re-exports only.
 *
 * - Runs: `parseRunConfig` / `loadRunConfigFile`, then `trainRun` (typed result) or `runTraining` (what the CLI writes).
 * - Any dynamical system: `MapSystem` (a step and its Jacobian) or `NetworkSystem`, with `lyapunovSpectrum` and
 *   `covariantLyapunovVectors`, which use only the `TangentSystem` interface.
 * - Backends: `loadBackend("auto" | "native" | "wasm")`, `availableBackends()`.
 * - Prediction (`predictStudy`, `writeReport`) lives in `weightdyn/predict` (it loads the plotting libraries).
 */

export { layerComposition, minimalSubspaceAngle, topComponents, vectorAngle } from "./algorithms/angles.js";
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
  componentName,
  type ParameterBlock,
  parameterBlocks,
  parameterCount,
  stateBlocks,
  stateDimension,
} from "./backend/layers.js";
export { availableBackends, BackendUnavailableError, loadBackend } from "./backend/loader.js";
export { ACTIVATIONS, RULE_NAMES, RULES, type RuleName, TANGENT_ROUTES } from "./backend/tables.js";
export {
  ACTIVATION_NAMES,
  ActivationId,
  type ActivationName,
  type Backend,
  type ChunkRequest,
  type NetworkKernel,
  type NetworkShape,
  type NetworkSpec,
  OUTPUT_ACTIVATION_NAMES,
  type TrainingRule,
} from "./backend/types.js";
export { compileWasmModule, createWasmBackend } from "./backend/wasm.js";
export { DEFAULT_RUN_CONFIG } from "./config/defaults.js";
export { ConfigError } from "./config/errors.js";
export { type OptimizerConfig, trainingRule } from "./config/optimizer.js";
export type { RunConfig, RunConfigInput } from "./config/schema.js";
export { exponentCount, networkShape, stateDimensionOf } from "./config/shape.js";
export { loadRunConfigFile, parseRunConfig } from "./config/validate.js";
export { buildDataset } from "./data/dataset.js";
export { TARGET_NAMES, TARGETS } from "./data/targets.js";
export { NpyWriter, readNpy, writeNpy } from "./io/npy.js";
export { runTraining, type TrainingRun, trainRun } from "./run.js";
export { type BatchSchedule, batchScheduleOf } from "./system/batches.js";
export { type MapDefinition, MapSystem } from "./system/map.js";
export { NetworkSystem, type NetworkSystemOptions } from "./system/network.js";
export { createRng } from "./system/rng.js";
export type { EvolveResult, TangentSystem } from "./system/types.js";
