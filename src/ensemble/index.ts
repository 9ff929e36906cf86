/**
 * Ensembles of training runs: a grid of run configs times initial-condition draws, run on worker threads, one
 * NDJSON line per run (see README "Ensembles").
 *
 *   parseStudy(raw, baseDir) / loadStudyFile(path) -> Study        study.ts
 *   expandGrid(study) -> GridPoint[]                               grid.ts
 *   runSeed(studySeed, index) -> seed                              seeds.ts
 *   runEnsemble(study, { outDir, workers, resume, backend, onProgress, signal }) -> EnsembleResult   runner.ts
 *   readRuns(dir) -> { header, runs, partialLine }                 store.ts
 *   computeRunRecord(task, backend) -> RunRecord                   record.ts (one run, in this thread)
 */
export { EnsembleOutputError, StudyError } from "./errors.js";
export { configPathProblem, expandGrid, type GridPoint, gridSize } from "./grid.js";
export { computeRunRecord, type EarlyWindow, type RunRecord, type RunTask } from "./record.js";
export { type EnsembleOptions, type EnsembleResult, runEnsemble, runTask } from "./runner.js";
export { canonicalJson, runSeed, seededConfig } from "./seeds.js";
export { RUNS_FILE, RunStore, readRuns, STUDY_FILE, type StudyHeader, studyHeader } from "./store.js";
export { loadStudyFile, lossCheckpointsOf, parseStudy, type Study, totalRuns } from "./study.js";
