/**
 * Native against WASM on whole runs (issue 4): on converging network trajectories, for every hidden activation and
 * a multi-input, multi-output network, the exponents, every FTLE window and the final loss agree within
 * TOL.parityExponents (absolute) and TOL.parityLoss (relative); on a chaotic map, the statistics agree within the
 * oracle's tolerance. Skipped, with the reason, unless both backends load.
 */
import { describe, expect, it } from "vitest";
import { lyapunovSpectrum } from "../src/algorithms/spectrum.js";
import { availableBackends } from "../src/backend/loader.js";
import { ACTIVATION_NAMES, type Backend } from "../src/backend/types.js";
import { parseRunConfig } from "../src/config/validate.js";
import { trainRun } from "../src/run.js";
import { MapSystem } from "../src/system/map.js";
import { henon } from "./support/maps.js";
import { TOL } from "./support/tolerances.js";

const { backends, missing } = availableBackends();
const native = backends.find((b) => b.name === "native");
const wasm = backends.find((b) => b.name === "wasm");
const why = missing.join("; ");

describe.skipIf(!native || !wasm)(
  `18 parity of whole runs, native vs wasm${native && wasm ? "" : ` [skipped: ${why}]`}`,
  () => {
    const outputs = ["identity", "tanh", "sigmoid"] as const;
    for (const [n, activation] of ACTIVATION_NAMES.entries()) {
      const outputActivation = outputs[n % outputs.length];
      it(`2-5-2 ${activation} -> ${outputActivation}: exponents, FTLEs, final loss`, () => {
        const config = parseRunConfig({
          network: { inputs: 2, hidden: 5, outputs: 2, activation, outputActivation },
          data: { function: "sin", samples: 25, range: [-1, 1] },
          init: { distribution: "uniform", scale: 0.8, seed: 3 + n },
          training: { learningRate: 0.05, steps: 1500 },
          lyapunov: { qrEvery: n % 2 === 0 ? 1 : 3, ftleWindow: n % 2 === 0 ? 100 : 99 },
        });
        const a = trainRun(config, { backend: native as Backend });
        const b = trainRun(config, { backend: wasm as Backend });
        expect(a.spectrum.diverged).toBe(false);
        expect(b.spectrum.diverged).toBe(false);
        expect(Math.abs(a.finalLoss - b.finalLoss)).toBeLessThanOrEqual(TOL.parityLoss * Math.abs(a.finalLoss));
        for (let t = 0; t < a.losses.length; t++) {
          expect(Math.abs(a.losses[t] - b.losses[t])).toBeLessThanOrEqual(TOL.parityLoss * Math.abs(a.losses[t]));
        }
        for (let j = 0; j < a.spectrum.k; j++) {
          expect(Math.abs(a.spectrum.exponents[j] - b.spectrum.exponents[j])).toBeLessThan(TOL.parityExponents);
        }
        expect(b.spectrum.ftle.values.length).toBe(a.spectrum.ftle.values.length);
        for (let i = 0; i < a.spectrum.ftle.values.length; i++) {
          expect(Math.abs(a.spectrum.ftle.values[i] - b.spectrum.ftle.values[i])).toBeLessThan(TOL.parityExponents);
        }
      });
    }

    it("Henon map: the two backends' QR give exponents within the oracle tolerance of each other", () => {
      const run = (b: Backend) =>
        lyapunovSpectrum(new MapSystem(henon(1.4, 0.3), b, { initialState: [0.1, 0.1] }), {
          steps: 50000,
          transient: 1000,
        });
      const a = run(native as Backend);
      const b = run(wasm as Backend);
      for (let j = 0; j < 2; j++) expect(Math.abs(a.exponents[j] - b.exponents[j])).toBeLessThan(TOL.chaoticMaps);
    });
  },
);
