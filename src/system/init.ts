/**
 * The initial weights w_0 of a run (length D, the fixed order W1, b1, W2, b2) from its config (Node).
 *
 * `init: {distribution, scale, seed}`: seeded draws (random-weights.ts, which has no Node built-in).
 *
 * `init: {weights: "w0.json"}`: a JSON file (relative to the config file's directory) holding an array of exactly
 * D finite numbers in the parameter order. A missing file, malformed JSON, a wrong length or a non-finite entry is
 * a ConfigError naming `init.weights`.
 */
import { resolve } from "node:path";
import { ConfigError, describeFileValue } from "../config/errors.js";
import { readJsonFile } from "../config/json-file.js";
import type { FileInitConfig, RunConfig } from "../config/schema.js";
import { randomWeights } from "./random-weights.js";

export { randomWeights } from "./random-weights.js";

/**
 * initialWeights(config, D, baseDir) -> w0 (length D)
 *
 * The initial weights described by `config.init` (module comment). `D` is the parameter count of
 * `config.network` (parameterCount); `baseDir` resolves a relative weights path.
 */
export function initialWeights(config: RunConfig, D: number, baseDir: string): Float64Array {
  if (!Number.isInteger(D) || D < 1) {
    throw new RangeError(`initialWeights: D: expected a positive integer but received ${String(D)}`);
  }
  const init = config.init;
  return "weights" in init ? weightsFromFile(init, D, baseDir) : randomWeights(init, D);
}

function weightsFromFile(init: FileInitConfig, D: number, baseDir: string): Float64Array {
  const path = resolve(baseDir, init.weights);
  const raw = readJsonFile(path, "weights file", (detail, cause) => new ConfigError("init.weights", detail, { cause }));
  if (!Array.isArray(raw)) {
    throw new ConfigError(
      "init.weights",
      `expected a JSON array of D = ${D} numbers in ${path} but received ${describeFileValue(raw)}`,
    );
  }
  if (raw.length !== D) {
    throw new ConfigError(
      "init.weights",
      `expected a JSON array of D = ${D} numbers (the parameter count of the network) in ${path} but received ${raw.length}`,
    );
  }
  const w = new Float64Array(D);
  for (let p = 0; p < D; p++) {
    const v: unknown = raw[p];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ConfigError(
        "init.weights",
        `expected a finite number at index ${p} of ${path} but received ${describeFileValue(v)}`,
      );
    }
    w[p] = v;
  }
  return w;
}
