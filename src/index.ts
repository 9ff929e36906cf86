/**
 * weightdyn: the public, typed API for Node. Re-exports only.
 *
 * - Runs: `parseRunConfig` / `loadRunConfigFile`, then `trainRun` (typed result) or `runTraining` (what the CLI writes).
 * - Any dynamical system: `MapSystem` (a step and its Jacobian) or `NetworkSystem`, with `lyapunovSpectrum` and
 *   `covariantLyapunovVectors`, which use only the `TangentSystem` interface (core.ts, shared with the browser entry).
 * - Backends: `loadBackend("auto" | "native" | "wasm")`, `availableBackends()`; `diagnose()` says which loads and why
 *   the other does not (what `weightdyn doctor` prints).
 * - Prediction (`predictStudy`, `writeReport`) lives in `weightdyn/predict`; pages and bundlers use
 *   `weightdyn/browser` (browser.ts).
 */

export { availableBackends, BackendUnavailableError, loadBackend } from "./backend/loader.js";
export { compileWasmModule } from "./backend/wasm-file.js";
export { loadRunConfigFile } from "./config/validate.js";
export * from "./core.js";
export { buildDataset } from "./data/dataset.js";
export { type BackendDiagnosis, type Diagnosis, diagnose } from "./diagnose.js";
export { NpyWriter, readNpy, writeNpy } from "./io/npy.js";
export { runTraining, trainRun } from "./run.js";
export { batchScheduleOf } from "./system/schedule-file.js";
