/**
 * The output directory of a run.
 *
 *   summary.json   the run summary, pretty-printed JSON (2-space indent). Typed arrays become JSON arrays; numbers
 *                  that are not finite (NaN, +-Infinity) become null, as JSON has no literal for them; bigints
 *                  become strings.
 *   loss.csv       header `step,loss`, one row per recorded step.
 *   ftle.csv       header `start,ftle_1,...,ftle_k`, one row per finite-time window (`start`: the first step of the
 *                  window), values row-major in RunOutputs.ftle.values.
 *
 * Every file is written atomically (writeFileAtomic), and summary.json last, so an interrupted run never leaves a
 * half-written file. The CLI writes them into a staging directory and commits the whole set (run-dir.ts), so a
 * directory with a summary.json holds the files of one complete run.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { writeCsv } from "./csv.js";

/** What a run produces; runTraining returns it and writeRunOutputs writes it. */
export interface RunOutputs {
  /** Free-form run summary (final loss, divergence, exponents, backend, config, ...), written as summary.json. */
  summary: Record<string, unknown>;
  /** The loss C(w_t) at the recorded steps t: steps[i] <-> values[i]. */
  loss: { steps: Float64Array | number[]; values: Float64Array };
  /** Finite-time Lyapunov exponents: values is windows x k, row-major; starts[w] is the first step of window w. */
  ftle: { starts: number[]; values: Float64Array; k: number };
}

/** The file names writeRunOutputs writes. */
export const RUN_OUTPUT_FILES = { summary: "summary.json", loss: "loss.csv", ftle: "ftle.csv" } as const;

/** Paths of the files writeRunOutputs wrote. */
export interface RunOutputFiles {
  summary: string;
  loss: string;
  ftle: string;
}

/**
 * writeRunOutputs(dir, result) -> {summary, loss, ftle} paths
 *
 * Creates `dir` (recursively) and writes summary.json, loss.csv and ftle.csv (see the module comment). Throws a
 * RangeError naming the field when the arrays of `result` do not fit together (an engine bug, not a user error).
 */
export function writeRunOutputs(dir: string, result: RunOutputs): RunOutputFiles {
  checkShapes(result);
  mkdirSync(dir, { recursive: true });
  const files: RunOutputFiles = {
    summary: join(dir, RUN_OUTPUT_FILES.summary),
    loss: join(dir, RUN_OUTPUT_FILES.loss),
    ftle: join(dir, RUN_OUTPUT_FILES.ftle),
  };
  writeCsv(files.loss, ["step", "loss"], lossRows(result.loss));
  const { k } = result.ftle;
  const ftleHeader = ["start", ...Array.from({ length: k }, (_, j) => `ftle_${j + 1}`)];
  writeCsv(files.ftle, ftleHeader, ftleRows(result.ftle));
  writeFileAtomic(files.summary, formatSummaryJson(result.summary));
  return files;
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

/** Rows [step, loss]; one reused buffer (writeCsv formats each row before asking for the next). */
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
