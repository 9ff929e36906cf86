/**
 * The training set of a run from values, with no Node built-in (dataset.ts adds reading data.csv from a file; the
 * playground passes pasted CSV text as a parsed table): X (N x inputs, row-major) and Y (N x outputs, row-major),
 * float64.
 *
 * From a built-in target (`data.function`, see targets.ts), with N = data.samples points in the box
 * [range[0], range[1]]^inputs:
 *   - inputs = 1: N equally spaced points, ends included: x_s = lo + (hi - lo) s / (N - 1), s = 0 .. N-1
 *     (x_{N-1} = hi exactly; N = 1 gives the midpoint).
 *   - inputs > 1 and N = n^inputs for an integer n: the regular n x ... x n grid of those equally spaced points,
 *     in row-major order (the last input varies fastest): sample s has coordinate j = digit j of s written in
 *     base n, most significant digit first.
 *   - inputs > 1 otherwise: N independent uniform points in the box, drawn with createRng(data.seed) (default 0),
 *     coordinates in sample order, x_sj = lo + (hi - lo) u.
 * Y holds the target values; with several outputs, output m is target(x + m * 0.5 * (1, ..., 1))
 * (evaluateTarget).
 *
 * From a numeric table (`data.csv`: a header row, then one row per sample) with inputs + outputs columns: the first
 * `inputs` columns are x, the rest y.
 *
 * Every problem is a ConfigError naming `data.csv` (or the data field at fault).
 */
import { ConfigError } from "../config/errors.js";
import type { FunctionDataConfig, RunConfig } from "../config/schema.js";
import type { NumericTable } from "../io/csv-text.js";
import { createRng } from "../system/rng.js";
import { evaluateTarget, TARGETS } from "./targets.js";

/** A training set. */
export interface Dataset {
  /** N x inputs, row-major. */
  X: Float64Array;
  /** N x outputs, row-major. */
  Y: Float64Array;
  /** N. */
  samples: number;
}

/**
 * gridSide(samples, inputs) -> n or null
 *
 * The side n of the regular grid used when samples = n^inputs, null when samples is not a perfect power.
 */
export function gridSide(samples: number, inputs: number): number | null {
  if (inputs === 1) return samples;
  const guess = Math.round(samples ** (1 / inputs));
  for (let n = Math.max(1, guess - 1); n <= guess + 1; n++) {
    if (n ** inputs === samples) return n;
  }
  return null;
}

/**
 * samplePoints(inputs, samples, range, seed) -> X (samples x inputs, row-major)
 *
 * The sample points of the function form of data: a regular grid or seeded uniform points (module comment).
 */
export function samplePoints(
  inputs: number,
  samples: number,
  range: readonly [number, number],
  seed: number,
): Float64Array {
  const [lo, hi] = range;
  const X = new Float64Array(samples * inputs);
  const n = gridSide(samples, inputs);
  if (n === null) {
    const rng = createRng(seed);
    for (let q = 0; q < X.length; q++) X[q] = lo + (hi - lo) * rng.uniform();
    return X;
  }
  const axis = new Float64Array(n);
  for (let d = 0; d < n; d++) axis[d] = n === 1 ? 0.5 * (lo + hi) : d === n - 1 ? hi : lo + ((hi - lo) * d) / (n - 1);
  for (let s = 0; s < samples; s++) {
    let rest = s;
    for (let j = inputs - 1; j >= 0; j--) {
      X[s * inputs + j] = axis[rest % n];
      rest = Math.floor(rest / n);
    }
  }
  return X;
}

/** The training set of the function form of data (module comment). */
export function functionDataset(config: RunConfig, data: FunctionDataConfig): Dataset {
  const { inputs, outputs } = config.network;
  const target = TARGETS[data.function];
  const X = samplePoints(inputs, data.samples, data.range, data.seed);
  const Y = new Float64Array(data.samples * outputs);
  const scratch = new Float64Array(inputs);
  for (let s = 0; s < data.samples; s++) {
    evaluateTarget(target, X.subarray(s * inputs, (s + 1) * inputs), outputs, Y, s * outputs, scratch);
  }
  return { X, Y, samples: data.samples };
}

/**
 * tableDataset(config, table, where) -> {X, Y, samples}
 *
 * The training set of the csv form of data from its parsed table (csv-text.ts); `where` names the table in messages
 * (the file's path on the command line). A table whose width is not inputs + outputs, or without rows, is a
 * ConfigError naming data.csv.
 */
export function tableDataset(config: RunConfig, table: NumericTable, where: string): Dataset {
  const { inputs, outputs } = config.network;
  const cols = inputs + outputs;
  if (table.cols !== cols) {
    throw new ConfigError(
      "data.csv",
      // The header is not quoted: a file named as data may be any readable file (io/input-file.ts).
      `expected network.inputs + network.outputs = ${inputs} + ${outputs} = ${cols} columns but ${where} has ` +
        `${table.cols}`,
    );
  }
  if (table.rows === 0) throw new ConfigError("data.csv", `expected at least one data row but ${where} has none`);
  const X = new Float64Array(table.rows * inputs);
  const Y = new Float64Array(table.rows * outputs);
  for (let s = 0; s < table.rows; s++) {
    const row = table.values.subarray(s * cols, (s + 1) * cols);
    X.set(row.subarray(0, inputs), s * inputs);
    Y.set(row.subarray(inputs), s * outputs);
  }
  return { X, Y, samples: table.rows };
}
