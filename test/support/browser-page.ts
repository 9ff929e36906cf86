/**
 * The page of test/98: bundled with esbuild for the browser from the browser entry (src/browser.ts). Loads the WASM
 * kernels from their default URL (next to the bundle in the package layout), runs the shared cases on the network
 * input the test serves as /input.json, and leaves the result (or the error) on globalThis.__weightdyn.
 */
import { loadWasmBackend } from "../../src/browser.js";
import { type NetworkInput, runCases } from "./browser-cases.js";

type Outcome = { ok: true; bits: Record<string, string>; henon: number[] } | { ok: false; error: string };

async function main(): Promise<Outcome> {
  const backend = await loadWasmBackend();
  const input = (await (await fetch("/input.json")).json()) as NetworkInput;
  return { ok: true, ...runCases(backend, input) };
}

const w = globalThis as unknown as { __weightdyn?: Outcome };
main().then(
  (outcome) => {
    w.__weightdyn = outcome;
  },
  (err: unknown) => {
    w.__weightdyn = { ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) };
  },
);
