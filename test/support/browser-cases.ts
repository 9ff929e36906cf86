/**
 * The computations test/98 runs twice, in Chromium through the browser bundle and in Node on the WASM backend, and
 * compares bit for bit: the Henon map's exponents (MapSystem, the generic-map API) and a small network's spectrum,
 * FTLEs and losses (NetworkSystem). Imports only what the browser entry exports (src/core.ts), so the page and Node
 * run the same code; the network's data and initial weights come in as numbers from Node, so no Math function of
 * either JavaScript engine enters the comparison through them.
 */
import { lyapunovSpectrum } from "../../src/algorithms/spectrum.js";
import type { Backend, NetworkShape } from "../../src/backend/types.js";
import { trainingRule } from "../../src/config/optimizer.js";
import { MapSystem } from "../../src/system/map.js";
import { NetworkSystem } from "../../src/system/network.js";
import { henon } from "./maps.js";

/** The network case's inputs (plain numbers, as JSON carries them exactly). */
export interface NetworkInput {
  shape: NetworkShape;
  X: number[];
  Y: number[];
  w0: number[];
  learningRate: number;
  steps: number;
  ftleWindow: number;
}

/** Every float64 result of the cases, as the hex of its bytes (exact, and -0 and NaN survive the trip). */
export type CaseBits = Record<string, string>;

/** The bytes of a Float64Array as hex (little-endian, as the host stores them). */
export function hexOf(values: Float64Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Henon steps of the browser comparison (the spectrum suite's published-value check uses the same map). */
export const HENON_STEPS = 100_000;

export function runCases(backend: Backend, net: NetworkInput): { bits: CaseBits; henon: number[] } {
  const map = lyapunovSpectrum(new MapSystem(henon(1.4, 0.3), backend, { initialState: [0.1, 0.1] }), {
    steps: HENON_STEPS,
  });
  const system = new NetworkSystem(backend, {
    shape: net.shape,
    X: Float64Array.from(net.X),
    Y: Float64Array.from(net.Y),
    w0: Float64Array.from(net.w0),
    rule: trainingRule("gd", net.learningRate),
  });
  try {
    const spectrum = lyapunovSpectrum(system, { steps: net.steps, ftleWindow: net.ftleWindow });
    return {
      bits: {
        henonExponents: hexOf(map.exponents),
        networkExponents: hexOf(spectrum.exponents),
        networkFtle: hexOf(spectrum.ftle.values),
        networkLosses: hexOf(system.lossHistory()),
        networkWeights: hexOf(system.state()),
      },
      henon: Array.from(map.exponents),
    };
  } finally {
    system.dispose();
  }
}
