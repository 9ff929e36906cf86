/**
 * The worker-thread entry of an ensemble (piscina loads it by file name; see runner.ts for how the name is chosen
 * from src/ or dist/).
 *
 * Each worker creates its own backend once, from workerData, and reuses it for every run it is given:
 *   { backend: "native" }                       the addon is loaded in this thread (one Node-API instance each)
 *   { backend: "wasm", wasmModule: Module }     the module compiled once by the main thread; this worker
 *                                               instantiates it with its own linear memory
 * The default export runs a batch of tasks (record.ts: computeRunRecords; runs of one grid point in lockstep) and
 * returns their records in order.
 */
import { workerData } from "node:worker_threads";
import { createNativeBackend } from "../backend/native.js";
import type { Backend, BackendName } from "../backend/types.js";
import { createWasmBackend } from "../backend/wasm.js";
import { compileWasmModule } from "../backend/wasm-file.js";
import { computeRunRecords, type RunRecord, type RunTask } from "./record.js";

/** What the pool passes to every worker. */
export interface WorkerInit {
  backend: BackendName;
  /** The compiled WASM module (backend "wasm" only). */
  wasmModule?: WebAssembly.Module;
}

function createBackend(init: WorkerInit | undefined): Backend {
  if (init?.backend === "native") return createNativeBackend();
  if (init?.backend === "wasm") return createWasmBackend(init.wasmModule ?? compileWasmModule());
  throw new Error(
    `weightdyn ensemble worker: expected workerData.backend "native" or "wasm" but received ${String(init?.backend)}`,
  );
}

const backend = createBackend(workerData as WorkerInit | undefined);

export default function runTasks(tasks: RunTask[]): RunRecord[] {
  return computeRunRecords(tasks, backend);
}
