/**
 * The output directory of a run: summary.json, loss.csv and ftle.csv, formatted by run-files.ts (their contract is
 * there; the playground's downloads use the same formatter).
 *
 * Every file is written atomically (writeFileAtomic), and summary.json last, so an interrupted run never leaves a
 * half-written file. The CLI writes them into a staging directory and commits the whole set (run-dir.ts), so a
 * directory with a summary.json holds the files of one complete run.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { type RunOutputs, runFileTexts } from "./run-files.js";

export { formatSummaryJson, type RunOutputs } from "./run-files.js";

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
 * Creates `dir` (recursively) and writes summary.json, loss.csv and ftle.csv (run-files.ts). Throws a RangeError
 * naming the field when the arrays of `result` do not fit together (an engine bug, not a user error).
 */
export function writeRunOutputs(dir: string, result: RunOutputs): RunOutputFiles {
  const texts = runFileTexts(result);
  mkdirSync(dir, { recursive: true });
  const files: RunOutputFiles = {
    summary: join(dir, RUN_OUTPUT_FILES.summary),
    loss: join(dir, RUN_OUTPUT_FILES.loss),
    ftle: join(dir, RUN_OUTPUT_FILES.ftle),
  };
  writeFileAtomic(files.loss, texts["loss.csv"]);
  writeFileAtomic(files.ftle, texts["ftle.csv"]);
  writeFileAtomic(files.summary, texts["summary.json"]);
  return files;
}
