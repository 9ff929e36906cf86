/**
 * The output directory of a run: summary.json, loss.csv and ftle.csv, formatted by run-files.ts (their contract is
 * there; the playground's downloads use the same formatter).
 *
 * Every file is written atomically (writeFileAtomic), and summary.json last, so an interrupted run never leaves a
 * half-written file and a directory with a summary.json holds a complete run.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { type RunOutputs, runFileTexts } from "./run-files.js";

export { formatSummaryJson, type RunOutputs } from "./run-files.js";

/** Paths of the files writeRunOutputs wrote. */
export interface RunOutputFiles {
  summary: string;
  loss: string;
  ftle: string;
}

/**
 * writeRunOutputs(dir, result) -> {summary, loss, ftle} paths
 *
 * Creates `dir` (recursively) and writes summary.json, loss.csv and ftle.csv (run-files.ts). Throws a RangeError
 * naming the field when the arrays of `result` do not fit together (an engine bug, not a user error).
 */
export function writeRunOutputs(dir: string, result: RunOutputs): RunOutputFiles {
  const texts = runFileTexts(result);
  mkdirSync(dir, { recursive: true });
  const files: RunOutputFiles = {
    summary: join(dir, "summary.json"),
    loss: join(dir, "loss.csv"),
    ftle: join(dir, "ftle.csv"),
  };
  writeFileAtomic(files.loss, texts["loss.csv"]);
  writeFileAtomic(files.ftle, texts["ftle.csv"]);
  writeFileAtomic(files.summary, texts["summary.json"]);
  return files;
}
