/**
 * The three files of a run as text, with no Node built-in: what `weightdyn run` writes (outputs.ts) and what the
 * playground offers for download, from one formatter each, so the two are byte for byte the same.
 *
 *   summary.json   the run summary, pretty-printed JSON (2-space indent) and a newline. Typed arrays become JSON
 *                  arrays; numbers that are not finite (NaN, +-Infinity) become null, as JSON has no literal for them;
 *                  bigints become strings.
 *   loss.csv       header `step,loss`, one row per recorded step.
 *   ftle.csv       header `start,ftle_1,...,ftle_k`, one row per finite-time window (`start`: the first step of the
 *                  window), values row-major in RunOutputs.ftle.values.
 *
 * Numbers in the CSV files are the shortest decimals that read back to the same float64 (csv-text.ts).
 */
import { formatCsv } from "./csv-text.js";

/** What a run produces; runTraining returns it, writeRunOutputs writes it, runFileTexts formats it. */
export interface RunOutputs {
  /** Free-form run summary (final loss, divergence, exponents, backend, config, ...), written as summary.json. */
  summary: Record<string, unknown>;
  /** The loss C(w_t) at the recorded steps t: steps[i] <-> values[i]. */
  loss: { steps: Float64Array | number[]; values: Float64Array };
  /** Finite-time Lyapunov exponents: values is windows x k, row-major; starts[w] is the first step of window w. */
  ftle: { starts: number[]; values: Float64Array; k: number };
}

/** The text of each file of a run, by file name. */
export interface RunFileTexts {
  "summary.json": string;
  "loss.csv": string;
  "ftle.csv": string;
}

/**
 * runFileTexts(result) -> {"summary.json", "loss.csv", "ftle.csv"}
 *
 * The texts of the three files (module comment). Throws a RangeError naming the field when the arrays of `result`
 * do not fit together (an engine bug, not a user error).
 */
export function runFileTexts(result: RunOutputs): RunFileTexts {
  checkShapes(result);
  const { k } = result.ftle;
  const ftleHeader = ["start", ...Array.from({ length: k }, (_, j) => `ftle_${j + 1}`)];
  return {
    "summary.json": formatSummaryJson(result.summary),
    "loss.csv": formatCsv(["step", "loss"], lossRows(result.loss)),
    "ftle.csv": formatCsv(ftleHeader, ftleRows(result.ftle)),
  };
}

/** The text of summary.json: pretty JSON (typed arrays as arrays, non-finite numbers as null) plus a newline. */
export function formatSummaryJson(summary: Record<string, unknown>): string {
  const replacer = (_key: string, value: unknown): unknown => {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? String(v) : v));
    }
    if (typeof value === "bigint") return String(value);
    return value;
  };
  return `${JSON.stringify(summary, replacer, 2)}\n`;
}

function checkShapes(result: RunOutputs): void {
  const { loss, ftle } = result;
  if (loss.steps.length !== loss.values.length) {
    throw new RangeError(
      `writeRunOutputs: loss.steps: expected ${loss.values.length} steps (one per loss value) but received ${loss.steps.length}`,
    );
  }
  if (!Number.isInteger(ftle.k) || ftle.k < 0) {
    throw new RangeError(`writeRunOutputs: ftle.k: expected an integer >= 0 but received ${ftle.k}`);
  }
  if (ftle.values.length !== ftle.starts.length * ftle.k) {
    throw new RangeError(
      `writeRunOutputs: ftle.values: expected windows x k = ${ftle.starts.length} x ${ftle.k} values but received ${ftle.values.length}`,
    );
  }
}

/** Rows [step, loss]; one reused buffer (formatCsv formats each row before asking for the next). */
function* lossRows(loss: RunOutputs["loss"]): Generator<Float64Array> {
  const row = new Float64Array(2);
  for (let i = 0; i < loss.values.length; i++) {
    row[0] = loss.steps[i];
    row[1] = loss.values[i];
    yield row;
  }
}

/** Rows [start, ftle_1, ..., ftle_k]; one reused buffer. */
function* ftleRows(ftle: RunOutputs["ftle"]): Generator<Float64Array> {
  const { k } = ftle;
  const row = new Float64Array(k + 1);
  for (let w = 0; w < ftle.starts.length; w++) {
    row[0] = ftle.starts[w];
    row.set(ftle.values.subarray(w * k, w * k + k), 1);
    yield row;
  }
}
