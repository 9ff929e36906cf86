/**
 * Picks and loads a backend: `auto` (native when its addon loads, otherwise WASM), `native` or `wasm`.
 * Like sharp's loader, every way that was tried and failed is collected, and a forced backend that cannot load
 * fails with all of the reasons.
 */
import { createNativeBackend } from "./native.js";
import type { Backend, BackendName } from "./types.js";
import { createWasmBackend } from "./wasm.js";
import { compileWasmModule } from "./wasm-file.js";

export type BackendChoice = "auto" | BackendName;

export class BackendUnavailableError extends Error {
  constructor(
    readonly requested: BackendChoice,
    readonly reasons: string[],
  ) {
    super(`weightdyn: the ${requested} backend cannot be loaded:\n  - ${reasons.join("\n  - ")}`);
    this.name = "BackendUnavailableError";
  }
}

const cache = new Map<BackendName, Backend>();
const failures = new Map<BackendName, string>();

function tryLoad(name: BackendName): Backend | null {
  const hit = cache.get(name);
  if (hit) return hit;
  if (failures.has(name)) return null;
  try {
    const backend = name === "native" ? createNativeBackend() : createWasmBackend(compileWasmModule());
    cache.set(name, backend);
    return backend;
  } catch (err) {
    failures.set(name, `${name}: ${(err as Error).message.split("\n")[0]}`);
    return null;
  }
}

/** Resolves a choice to a loaded backend; throws BackendUnavailableError listing every reason. */
export function loadBackend(choice: BackendChoice = "auto"): Backend {
  if (choice !== "auto" && choice !== "native" && choice !== "wasm") {
    throw new Error(`weightdyn: expected "auto", "native" or "wasm" for the backend but received "${String(choice)}"`);
  }
  const order: BackendName[] = choice === "auto" ? ["native", "wasm"] : [choice];
  for (const name of order) {
    const b = tryLoad(name);
    if (b) return b;
  }
  throw new BackendUnavailableError(
    choice,
    order.map((n) => failures.get(n) ?? `${n}: unknown failure`),
  );
}

/** Every backend that loads here, and the reasons of those that do not (for tests and benchmarks). */
export function availableBackends(): { backends: Backend[]; missing: string[] } {
  const backends: Backend[] = [];
  const missing: string[] = [];
  for (const name of ["native", "wasm"] as BackendName[]) {
    const b = tryLoad(name);
    if (b) backends.push(b);
    else missing.push(failures.get(name) ?? name);
  }
  return { backends, missing };
}

/** The choice from the environment variable WEIGHTDYN_BACKEND, if set. */
export function backendFromEnv(): BackendChoice | undefined {
  const v = process.env.WEIGHTDYN_BACKEND;
  if (v === undefined || v === "") return undefined;
  if (v === "auto" || v === "native" || v === "wasm") return v;
  throw new Error(`weightdyn: expected auto, native or wasm in WEIGHTDYN_BACKEND but received "${v}"`);
}

/** Why a backend does not load here (its collected reason), or null when it loads. */
export function whyNotLoaded(name: BackendName): string | null {
  return tryLoad(name) ? null : (failures.get(name) ?? `${name}: unknown failure`);
}
