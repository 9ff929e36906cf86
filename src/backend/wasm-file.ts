/**
 * The WASM kernels in Node: build-wasm/weightdyn.wasm read from the package (shipped in the tarball, built before
 * packing) and compiled synchronously, once per thread. Pages and bundlers use wasm-module.ts instead.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./root.js";

/** Where the compiled kernels live, relative to the package root (exported as `weightdyn/weightdyn.wasm`). */
export const WASM_FILE = join("build-wasm", "weightdyn.wasm");

let compiled: WebAssembly.Module | undefined;

/** Compiles build-wasm/weightdyn.wasm synchronously, once per thread. */
export function compileWasmModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const path = join(packageRoot(), WASM_FILE);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new Error(`weightdyn: ${path} is missing (in a clone: npm run build:wasm)`);
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}
