/**
 * `weightdyn start` (what `npm start` runs): the default study and its prediction report.
 *
 *   weightdyn start [--out runs/default-study] [--workers N] [--runs N] [--backend auto|native|wasm] [--no-rerun]
 *                   [--quiet]
 *
 * Runs the study studies/default.json shipped with the package (found from the package root, so it works from any
 * directory and from an install) as `weightdyn ensemble` does, into DIR (default runs/default-study under the
 * current directory), then `weightdyn predict DIR` with START_PREDICT_OPTIONS, and prints the headline table (AUC per
 * activation and early window next to the early-loss baseline) and where report.md is. DIR also gets headline.md:
 * the same table with the command, date, machine, backend and wall time, ready for a README.
 *
 * Resumable: DIR is always opened with --resume semantics. When it holds this study, the runs already in
 * runs.ndjson are kept and only the missing ones are run (after Ctrl-C, `npm start` again continues; once every run
 * is done it only redoes the report). When it holds another study (the study file changed, or --runs was used), that
 * directory is moved aside to DIR.previous-<its study id> (nothing is deleted) and the study starts fresh.
 *
 * --runs N replaces the study's initial conditions per activation (a quick look or a test; another study id).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { type Command, Option } from "commander";
import { packageRoot } from "../backend/root.js";
import { DEFAULT_STUDY_FILE, DEFAULT_STUDY_OUTPUT_DIR } from "../config/defaults.js";
import { describeSystemError } from "../config/errors.js";
import { BACKEND_CHOICES } from "../config/schema.js";
import { RUNS_FILE, STUDY_FILE } from "../ensemble/store.js";
import { parseStudy, type Study } from "../ensemble/study.js";
import { type DirLock, DirLockedError, LOCK_FILE, lockDirectory } from "../io/dir-lock.js";
import type { PredictOptions } from "../predict/types.js";
import { parseWorkers, runStudyFromCli } from "./ensemble-command.js";
import { UsageError } from "./errors.js";
import { positiveIntFlag } from "./flags.js";

/**
 * How `start` labels and scores the default study. Thresholds per activation: its groups lie at different loss
 * levels (relu's low group fits |x| exactly, c_f < 1e-20; the low groups of the others are near 1e-3; the gap rule's
 * thresholds of docs/default-study-search.md and docs/default-study/report.md), so no single threshold splits every
 * activation at its own gap. The gap rule and every other option are predict's defaults.
 */
export const START_PREDICT_OPTIONS: PredictOptions = { split: "gap", perGroup: true };

interface StartFlags {
  out: string;
  workers?: string;
  runs?: string;
  backend?: string;
  rerun: boolean;
  quiet?: boolean;
}

/** The default study, with `runs` replaced when given. */
export function loadDefaultStudy(runs?: number): Study {
  const path = join(packageRoot(), DEFAULT_STUDY_FILE);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read the default study ${path}: ${describeSystemError(err)}`, { cause: err });
  }
  return parseStudy(runs === undefined ? raw : { ...raw, runs }, dirname(path));
}

/** The study id recorded in DIR (study.json, else the first line of runs.ndjson), or null when DIR holds none. */
function recordedStudyId(dir: string): string | null {
  const studyPath = join(dir, STUDY_FILE);
  const runsPath = join(dir, RUNS_FILE);
  try {
    if (existsSync(studyPath))
      return String((JSON.parse(readFileSync(studyPath, "utf8")) as { studyId?: unknown }).studyId);
    if (existsSync(runsPath)) {
      const first = readFileSync(runsPath, "utf8").split("\n")[0];
      if (first.trim() !== "") return String((JSON.parse(first) as { studyId?: unknown }).studyId);
    }
  } catch {
    return "unreadable";
  }
  return null;
}

/**
 * prepareStartDir(dir, studyId) -> the directory the previous contents were moved to, or null
 *
 * Keeps DIR when it holds no study or this one; moves it aside to DIR.previous-<id> (DIR.previous-<id>-2, ... when
 * taken) when it holds another.
 */
export function prepareStartDir(dir: string, studyId: string): string | null {
  // Never move a directory another process is writing into: looked at under its lock (io/dir-lock.ts).
  let lock: DirLock;
  try {
    lock = lockDirectory(dir, { what: `start of study ${studyId}` });
  } catch (err) {
    if (err instanceof DirLockedError) throw new UsageError(`--out: ${err.message}`, { cause: err });
    throw err;
  }
  try {
    const previous = recordedStudyId(dir);
    if (previous === null || previous === studyId) return null;
    let target = `${dir}.previous-${previous}`;
    for (let i = 2; existsSync(target); i++) target = `${dir}.previous-${previous}-${i}`;
    try {
      renameSync(dir, target);
    } catch (err) {
      throw new UsageError(
        `--out: ${dir} holds another study (${previous}) and cannot be moved aside: ${describeSystemError(err)}`,
        { cause: err },
      );
    }
    rmSync(join(target, LOCK_FILE), { force: true });
    return target;
  } finally {
    lock.release();
  }
}

/** The machine, for provenance lines: cores, CPU model, Node, platform. */
export function machine(): string {
  return `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function startAction(flags: StartFlags): Promise<void> {
  const started = performance.now();
  const date = new Date().toISOString();
  // Other work on the machine lengthens the wall time: the 1-minute load average at the start goes with it.
  const load = loadavg()[0];
  const workers = parseWorkers(flags.workers);
  const study = loadDefaultStudy(positiveIntFlag("--runs", flags.runs));
  const out = flags.out;
  const moved = prepareStartDir(out, study.id);
  if (moved) process.stdout.write(`${out} held another study: moved it to ${moved}\n`);
  const ensemble = await runStudyFromCli(
    study,
    { out, workers, resume: true, backend: flags.backend, quiet: flags.quiet },
    "run `weightdyn start` (npm start) again to continue",
  );
  if (ensemble.interrupted) return;
  const [{ readEnsemble }, { predictRuns }, { writeReport }, { headlineTable, headlineVerdict }] = await Promise.all([
    import("../predict/input.js"),
    import("../predict/predict.js"),
    import("../predict/report.js"),
    import("../predict/headline.js"),
  ]);
  const input = readEnsemble(out);
  const report = predictRuns(input, START_PREDICT_OPTIONS);
  const { files, figuresMissing } = await writeReport(report, resolve(out), {
    rerun: flags.rerun,
    records: input.runs,
  });
  if (figuresMissing) process.stderr.write(`weightdyn: ${figuresMissing}\n`);
  const wall = (performance.now() - started) / 1000;
  const table = headlineTable(report);
  const verdict = headlineVerdict(report);
  const args = process.argv.slice(2).join(" ");
  const command = process.env.npm_lifecycle_event === "start" ? "npm start" : `weightdyn ${args}`;
  const runs = `${ensemble.total} runs (${ensemble.completed} run now, ${ensemble.resumed} resumed)`;
  const headline = [
    "# Default study: do early FTLEs predict the final loss?",
    "",
    `Written by \`${command}\` (study ${ensemble.studyId}, ${DEFAULT_STUDY_FILE}; ${runs}; thresholds: ${report.labelling.description})`,
    "",
    `- Date: ${date}; machine: ${machine()}; backend: ${ensemble.backend}, ${ensemble.workers} worker(s).`,
    `- Wall time: ${wall.toFixed(0)} s (ensemble ${ensemble.wallTimeSeconds.toFixed(0)} s, then the prediction report); 1-minute load average at the start ${load.toFixed(2)}.`,
    "- Each cell: AUC [bootstrap 95% interval]; `(+)`/`(-)`: a higher/lower indicator goes with a high final loss. " +
      "The logistic columns are cross-validated; the best single indicator is chosen in-sample (biased upwards). " +
      "Details, the other indicators and the figures: report.md.",
    "",
    table,
    "",
    verdict,
    "",
  ].join("\n");
  const headlinePath = join(resolve(out), "headline.md");
  writeFileSync(headlinePath, headline);
  process.stdout.write(`\n${table}\n\n${verdict}\n\nreport: ${files[0]}\nheadline: ${headlinePath}\n`);
  process.stdout.write(`wall time ${wall.toFixed(1)} s\n`);
}

export function registerStartCommand(program: Command): Command {
  return program
    .command("start")
    .description(
      `run the default study (${DEFAULT_STUDY_FILE}) and its prediction report into ${DEFAULT_STUDY_OUTPUT_DIR}; resumable`,
    )
    .option("-o, --out <dir>", "output directory (runs, report.md, figures/, headline.md)", DEFAULT_STUDY_OUTPUT_DIR)
    .option("-w, --workers <n>", "worker threads (default: all cores)")
    .option("--runs <n>", "initial conditions per activation instead of the study's (another study id)")
    .addOption(new Option("--backend <name>", "compute backend (overrides WEIGHTDYN_BACKEND)").choices(BACKEND_CHOICES))
    .option("--no-rerun", "do not retrain a few runs per class for the FTLE-over-time figure")
    .option("-q, --quiet", "no progress display")
    .action(startAction);
}
