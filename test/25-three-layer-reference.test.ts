/**
 * Three-layer runs are the same, bit for bit, as on the engine before the optimizer and depth issues (12, 16): the
 * losses, exponents, FTLE windows and final weights of the cases in test/fixtures/three-layer-reference.json, recorded
 * then by scripts/make-three-layer-reference.ts, on every backend flavour that can reproduce them: WASM (the same on
 * every machine), native with its built-in dense kernels (compiled with -ffp-contract=off, so they round alike on any
 * x86-64), and native with Eigen (recorded on an FMA-capable machine with -march=native: where Eigen is in use the
 * build must be the same kind, which the test cannot see from here, so a mismatch there is reported as such).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNativeBackend, loadNativeAddon, type NativeAddon } from "../src/backend/native.js";
import { packageRoot } from "../src/backend/root.js";
import type { Backend } from "../src/backend/types.js";
import { createWasmBackend } from "../src/backend/wasm.js";
import { compileWasmModule } from "../src/backend/wasm-file.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";

interface Recorded {
  losses: (number | string)[];
  exponents: (number | string)[];
  ftle: (number | string)[];
  finalWeights: (number | string)[];
  diverged: boolean;
  divergedAt: number | null;
  tangentRoute: string;
}

const fixtures = join(packageRoot(), "test", "fixtures");
const reference = JSON.parse(readFileSync(join(fixtures, "three-layer-reference.json"), "utf8")) as {
  cases: Record<string, unknown>;
  flavours: Record<string, Record<string, Recorded>>;
};
/** As the recorder wrote them: numbers exactly, non-finite ones as strings. */
const enc = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isFinite(x) ? x : String(x)));

let addon: NativeAddon | null = null;
let why = "";
try {
  if (!existsSync(join(packageRoot(), "build", "Release", "weightdyn.node"))) throw new Error("no native addon built");
  addon = loadNativeAddon();
} catch (err) {
  why = (err as Error).message.split("\n")[0];
}

// The two native flavours share one addon; each test switches its dense kernels (_denseEigen) before running.
const flavours: [string, () => Backend | null, string][] = [
  ["wasm", () => createWasmBackend(compileWasmModule()), ""],
  ["native-builtin", () => (addon ? createNativeBackend(addon) : null), why],
  ["native-eigen", () => (addon?.eigen ? createNativeBackend(addon) : null), addon ? "built without Eigen" : why],
];

for (const [flavour, make, reason] of flavours) {
  describe(`25 three-layer runs equal the recorded ones bit for bit [${flavour}]`, () => {
    const backend = make();
    if (!backend) {
      it.skip(`not available: ${reason}`, () => {});
      return;
    }
    for (const [name, recorded] of Object.entries(reference.flavours[flavour])) {
      it(`${name}: losses, exponents, FTLEs and final weights`, () => {
        if (addon && flavour.startsWith("native")) addon._denseEigen(flavour === "native-eigen");
        const run = trainRun(parseRunConfig(reference.cases[name]), { backend, baseDir: fixtures });
        expect(enc(run.losses)).toEqual(recorded.losses);
        expect(enc(run.spectrum.exponents)).toEqual(recorded.exponents);
        expect(enc(run.spectrum.ftle.values)).toEqual(recorded.ftle);
        expect(enc(run.finalWeights)).toEqual(recorded.finalWeights);
        expect(run.spectrum.diverged).toBe(recorded.diverged);
        expect(run.spectrum.divergedAt ?? null).toBe(recorded.divergedAt);
        expect(run.tangentRoute).toBe(recorded.tangentRoute);
      });
    }
  });
}
