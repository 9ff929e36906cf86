/**
 * The embedded default run config: what `weightdyn run --default` runs, and the values the schema fills in for every
 * missing field (schema.ts applies the same defaults; a test holds the two together).
 *
 * A 1-10-1 tanh network fitted to y = sin(pi x) on 40 equally spaced points of [-1, 1], uniform initial weights in
 * [-1, 1] (seed 1), 5000 steps of full-batch gradient descent with learning rate 0.1, the full Lyapunov spectrum (k = D = 31)
 * with a QR every step and finite-time exponents over windows of 100 steps. Full batch (no minibatches).
 */
import type { RunConfigInput } from "./schema.js";

export const DEFAULT_RUN_CONFIG = {
  network: {
    inputs: 1,
    hidden: 10,
    outputs: 1,
    activation: "tanh",
    activationParam: null,
    outputActivation: "identity",
  },
  data: { function: "sin", samples: 40, range: [-1, 1] },
  init: { distribution: "uniform", scale: 1, seed: 1 },
  training: { learningRate: 0.1, steps: 5000, optimizer: "gd", batchSize: null, batchSeed: 0, schedule: null },
  lyapunov: {
    exponents: "all",
    qrEvery: 1,
    ftleWindow: 100,
    transient: 0,
    basis: "identity",
    basisSeed: 0,
    tangentRoute: "auto",
  },
  backend: "auto",
  limits: { memoryBudget: "2GiB" },
} as const satisfies RunConfigInput;

/** The default study that `weightdyn start` (`npm start`) runs, relative to the package root (shipped with it). */
export const DEFAULT_STUDY_FILE = "studies/default.json";

/** Where `weightdyn start` writes the default study and its report, relative to the current directory. */
export const DEFAULT_STUDY_OUTPUT_DIR = "runs/default-study";
