/**
 * The part of the public API that needs no Node built-in: systems, algorithms, the WASM backend adapter, the kernel
 * tables, the config schema with its messages, a run from values (trainNetwork, problemOf), its summary and the text
 * of its files. Re-exports only; both entry points re-export it: src/index.ts (Node: adds the loader, config files,
 * runs from files) and src/browser.ts (pages and bundlers: adds loading the WASM kernels from a URL or bytes).
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
export { createWasmBackend, type WasmBackend } from "./backend/wasm.js";
export { loadWasmModule, type WasmSource } from "./backend/wasm-module.js";
export { DEFAULT_RUN_CONFIG } from "./config/defaults.js";
export { ConfigError, type ConfigIssue } from "./config/errors.js";
export { type OptimizerConfig, trainingRule } from "./config/optimizer.js";
export { parseRunConfig } from "./config/parse.js";
export type { RunConfig, RunConfigInput } from "./config/schema.js";
export { exponentCount, networkShape, stateDimensionOf } from "./config/shape.js";
export { type Dataset, functionDataset, tableDataset } from "./data/samples.js";
export { TARGET_NAMES, TARGETS } from "./data/targets.js";
export { MAX_STUDY_SEED, runSeed, seededConfig } from "./ensemble/run-seed.js";
export { CsvError, formatCsv, type NumericTable, parseNumericCsv } from "./io/csv-text.js";
export { formatSummaryJson, type RunFileTexts, type RunOutputs, runFileTexts } from "./io/run-files.js";
export { jsonNumber, runOutputsOf, runSummary, type TrainingRun } from "./run-summary.js";
export { type BatchSchedule, EpochBatches, epochBatchesOf, ListedBatches } from "./system/batches.js";
export { type DifferentiableLoss, ruleMap } from "./system/loss-map.js";
export { type MapDefinition, MapSystem } from "./system/map.js";
export { NetworkSystem, type NetworkSystemOptions } from "./system/network.js";
export { networkOutputs } from "./system/outputs.js";
export { randomWeights } from "./system/random-weights.js";
export { createRng } from "./system/rng.js";
export type { EvolveResult, TangentSystem } from "./system/types.js";
export {
  problemOf,
  type SpectrumHooks,
  type TrainNetworkOptions,
  type TrainProblem,
  trainNetwork,
} from "./train-network.js";
