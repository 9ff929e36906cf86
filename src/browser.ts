/**
 * weightdyn in a page or a bundle (`weightdyn/browser`): the WASM backend and everything of core.ts, with no Node
 * built-in anywhere in its module graph (test/98 bundles it for the browser platform and runs it in Chromium).
 *
 *   const backend = await loadWasmBackend();              // the .wasm next to the package's dist/ (see below)
 *   const backend = await loadWasmBackend(wasmUrl);       // or: a URL, bytes, a Response, a compiled module
 *   lyapunovSpectrum(new MapSystem(henon, backend, { initialState: [0.1, 0.1] }), { steps: 100000 });
 *
 * The default source is build-wasm/weightdyn.wasm resolved against this module's URL
 * (`new URL("../build-wasm/weightdyn.wasm", import.meta.url)`), which serving the package as it is, webpack 5 and
 * Vite's production build follow. Other bundlers (esbuild, Vite's dev server) are given the URL of the file they
 * emit for `weightdyn/weightdyn.wasm` (README, "In a browser").
 */
import { createWasmBackend, type WasmBackend } from "./backend/wasm.js";
import { loadWasmModule, type WasmSource } from "./backend/wasm-module.js";

export * from "./core.js";

/** The kernels' URL next to this module in the package layout (dist/browser.js -> build-wasm/weightdyn.wasm). */
export function defaultWasmUrl(): URL {
  return new URL("../build-wasm/weightdyn.wasm", import.meta.url);
}

/** Compiles the WASM kernels from `source` (default: defaultWasmUrl()) and instantiates a backend. */
export async function loadWasmBackend(source: WasmSource = defaultWasmUrl()): Promise<WasmBackend> {
  return createWasmBackend(await loadWasmModule(source));
}
