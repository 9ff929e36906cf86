/**
 * `weightdyn predict DIR`: do the early FTLEs of an ensemble predict its final losses? Thin: parse -> readEnsemble ->
 * predictRuns -> writeReport (with the same runs, read once) -> a short summary on stdout.
 *
 *   weightdyn predict DIR [--split gap|median] [--min-gap DECADES] [--min-share S] [--threshold X] [--per-group]
 *                         [--out REPORTDIR] [--seed N] [--no-rerun] [--quiet]
 *
 * Writes REPORTDIR/report.md, report.json and figures/ (REPORTDIR defaults to DIR). Input problems (no runs.ndjson,
 * a malformed line, a bad flag value) exit with 2 and a message naming the file or flag.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import type { PredictionReport } from "../predict/types.js";
import { UsageError } from "./errors.js";
import { addLabellingOptions, positiveNumber } from "./flags.js";

/** The predict library, loaded only when the command runs: vega and vega-lite take most of a second to import. */
async function loadPredict() {
  const [input, predict, report] = await Promise.all([
    import("../predict/input.js"),
    import("../predict/predict.js"),
    import("../predict/report.js"),
  ]);
  return {
    PredictInputError: input.PredictInputError,
    readEnsemble: input.readEnsemble,
    predictRuns: predict.predictRuns,
    writeReport: report.writeReport,
  };
}

interface PredictFlags {
  split?: "gap" | "median";
  minGap?: number;
  minShare?: number;
  threshold?: number;
  perGroup?: boolean;
  out?: string;
  seed?: number;
  rerun: boolean;
  quiet?: boolean;
}

/** The few lines printed after a run: the labelling, one sentence per case, where the report is. */
export function formatPredictSummary(report: PredictionReport, reportFile: string, quiet = false): string {
  if (quiet) return `report: ${reportFile}`;
  const diverged = report.groups.reduce((a, g) => a + g.diverged, 0);
  const t = report.labelling.pooled;
  const used = (x: typeof t) => (x?.fallback ? "median, gap rule failed" : (x?.rule ?? "none"));
  const rule = t
    ? `c_f > ${t.finalLoss.toExponential(2)} (${used(t)})`
    : `per ${report.groupNoun}: ${report.groups.map((g) => `${g.name} c_f > ${g.threshold?.finalLoss.toExponential(2) ?? "–"} (${used(g.threshold)})`).join(", ")}`;
  const lines = [
    `${report.input.runs} runs, ${report.groups.length} group(s), ${diverged} diverged; high final loss: ${rule}`,
  ];
  for (const s of report.scopes) {
    for (const w of s.windows) {
      const text = "models" in w.cv ? w.cv.gain.sentence : `not evaluated: ${w.cv.skipped}`;
      lines.push(`  ${s.name}, e = ${w.window}: ${text}`);
    }
  }
  lines.push(`report: ${reportFile}`);
  return lines.join("\n");
}

export function registerPredictCommand(program: Command): Command {
  const command = program
    .command("predict")
    .description("evaluate whether early FTLEs predict the final loss of an ensemble (writes report.md and figures)")
    .argument("<dir>", "ensemble directory (runs.ndjson, study.json), as written by `weightdyn ensemble`");
  return addLabellingOptions(command, "threshold")
    .addOption(new Option("--threshold <cf>", "label runs with c_f above this value high").argParser(positiveNumber))
    .option(
      "--per-group",
      "compute the threshold within each group of runs (each activation, optimizer, depth... that the grid varies) instead of on all runs pooled",
    )
    .option("-o, --out <dir>", "report directory (default: DIR)")
    .option("--no-rerun", "do not retrain a few runs per class for the FTLE-over-time figure")
    .option("-q, --quiet", "print only where the report is")
    .action(async (dir: string, flags: PredictFlags) => {
      const { PredictInputError, readEnsemble, predictRuns, writeReport } = await loadPredict();
      let report: PredictionReport;
      let input: ReturnType<typeof readEnsemble>;
      try {
        input = readEnsemble(dir);
        report = predictRuns(input, {
          split: flags.split,
          minGap: flags.minGap,
          minShare: flags.minShare,
          threshold: flags.threshold,
          perGroup: flags.perGroup,
          seed: flags.seed,
        });
      } catch (err) {
        if (err instanceof PredictInputError || err instanceof RangeError)
          throw new UsageError(err.message, { cause: err });
        throw err;
      }
      const outDir = resolve(flags.out ?? dir);
      const { files, figuresMissing } = await writeReport(report, outDir, { rerun: flags.rerun, records: input.runs });
      if (figuresMissing) process.stderr.write(`weightdyn: ${figuresMissing}\n`);
      process.stdout.write(`${formatPredictSummary(report, files[0], flags.quiet)}\n`);
    });
}
