/**
 * Writes test/fixtures/three-layer-reference.json: losses, exponents, FTLEs and final weights of a few three-layer
 * runs (every tangent route, several activations, a diverging run), on every backend flavour this build has
 * (wasm; native with the built-in dense kernels; native with Eigen when built with it).
 *
 * It was run once, on the engine as it stood before the optimizer and depth issues (12, 16), and its output was
 * committed: test/16's "L = 1 reproduces today's results bit for bit" compares the engine against it. Re-running it
 * on a later engine would only record that engine, so the fixture is not regenerated.
 *
 *   node --import tsx scripts/make-three-layer-reference.ts
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createNativeBackend, loadNativeAddon } from "../src/backend/native.js";
import { packageRoot } from "../src/backend/root.js";
import type { Backend } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";

/** The cases: small enough to keep the fixture short, varied enough to cover every kernel of the step. */
export const REFERENCE_CASES: Record<string, unknown> = {
  "tanh-1-4-1-hessian": {
    network: { hidden: 4, activation: "tanh" },
    training: { learningRate: 0.2, steps: 120 },
    lyapunov: { ftleWindow: 20, tangentRoute: "hessian" },
  },
  "relu-1-4-1-hvp": {
    network: { hidden: 4, activation: "relu" },
    data: { function: "abs", samples: 30 },
    training: { learningRate: 0.3, steps: 120 },
    lyapunov: { ftleWindow: 30, tangentRoute: "hvp" },
  },
  "elu-2-5-3-sigmoid-factored": {
    network: { inputs: 2, hidden: 5, outputs: 3, activation: "elu", activationParam: 0.7, outputActivation: "sigmoid" },
    data: { function: "sin2d", samples: 25 },
    init: { distribution: "normal", scale: 0.8, seed: 5 },
    training: { learningRate: 0.15, steps: 90 },
    lyapunov: { exponents: 6, qrEvery: 3, ftleWindow: 30, transient: 12, tangentRoute: "factored" },
  },
  "softplus-1-6-2-tanh-auto": {
    network: { hidden: 6, outputs: 2, activation: "softplus", outputActivation: "tanh" },
    data: { function: "sin", samples: 30 },
    training: { learningRate: 0.1, steps: 100 },
    lyapunov: { basis: "random", basisSeed: 3, ftleWindow: 25 },
  },
  "sigmoid-1-3-1-diverges": {
    network: { hidden: 3, activation: "sigmoid" },
    init: { scale: 3 },
    training: { learningRate: 60, steps: 200 },
    lyapunov: { ftleWindow: 10, tangentRoute: "hessian" },
  },
};

/** A double as JSON: numbers round-trip exactly; the non-finite ones become strings. */
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

function record(backend: Backend, config: unknown, baseDir: string) {
  const run = trainRun(parseRunConfig(config), { backend, baseDir });
  const s = run.spectrum;
  return {
    losses: Array.from(run.losses, enc),
    exponents: Array.from(s.exponents, enc),
    ftle: Array.from(s.ftle.values, enc),
    finalWeights: Array.from(run.finalWeights, enc),
    diverged: s.diverged,
    divergedAt: s.divergedAt ?? null,
    tangentRoute: run.tangentRoute,
  };
}

const fixtures = join(packageRoot(), "test", "fixtures");
const flavours: Record<string, Record<string, unknown>> = {};
const wasm = createWasmBackend(compileWasmModule());
flavours.wasm = Object.fromEntries(
  Object.entries(REFERENCE_CASES).map(([name, cfg]) => [name, record(wasm, cfg, fixtures)]),
);
const addon = loadNativeAddon();
const native = createNativeBackend(addon);
addon._denseEigen(false);
flavours["native-builtin"] = Object.fromEntries(
  Object.entries(REFERENCE_CASES).map(([name, cfg]) => [name, record(native, cfg, fixtures)]),
);
if (addon.eigen) {
  addon._denseEigen(true);
  flavours["native-eigen"] = Object.fromEntries(
    Object.entries(REFERENCE_CASES).map(([name, cfg]) => [name, record(native, cfg, fixtures)]),
  );
}
const out = {
  note: "Made by scripts/make-three-layer-reference.ts on the three-layer engine before issues 12 and 16 (x86-64, -march=native build). Not to be regenerated.",
  cases: REFERENCE_CASES,
  flavours,
};
writeFileSync(join(fixtures, "three-layer-reference.json"), `${JSON.stringify(out)}\n`);
console.log(`wrote ${Object.keys(flavours).join(", ")}`);
