/**
 * writeRunReport(dir) -> { files, diagnostics }: the report of one run's directory (`weightdyn report DIR`).
 *
 * Reads what `weightdyn run` wrote (summary.json, loss.csv, ftle.csv, and clv-angles.csv when the run computed
 * CLVs), recomputes the convergence diagnostics from the FTLE windows (src/algorithms/convergence.ts; the running
 * estimates are the means of the windows so far) and writes DIR/report.md and DIR/figures/: the loss, the FTLEs per
 * window and the running estimates, the final spectrum with its error bars, and the CLV angles. A missing or
 * malformed file is a RunReportError naming it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ConvergenceDiagnostics, convergenceDiagnostics, runningFromWindows } from "./algorithms/convergence.js";
import type { FtleWindows } from "./algorithms/ftle.js";
import { describeSystemError } from "./config/errors.js";
import { writeFileAtomic } from "./io/atomic.js";
import { CsvError, type NumericTable, readNumericCsv } from "./io/csv.js";
import { FigureWriter } from "./predict/plots.js";
import { clvAnglesSpec, runFtleSpec, runLossSpec, runSpectrumSpec } from "./predict/run-figures.js";

export class RunReportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RunReportError";
  }
}

function readTable(path: string): NumericTable {
  try {
    return readNumericCsv(path);
  } catch (err) {
    if (err instanceof CsvError) throw new RunReportError(err.message, { cause: err });
    throw err;
  }
}

function readSummary(dir: string): Record<string, unknown> {
  const path = join(dir, "summary.json");
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new RunReportError(`${path}: ${describeSystemError(err)} (is ${dir} a run directory?)`, { cause: err });
  }
}

const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? "–" : x.toPrecision(4));

export async function writeRunReport(
  dir: string,
): Promise<{ files: string[]; diagnostics: ConvergenceDiagnostics | null }> {
  const summary = readSummary(dir);
  const loss = readTable(join(dir, "loss.csv"));
  const ftleTable = readTable(join(dir, "ftle.csv"));
  const exponents = (summary.exponents as (number | null)[] | undefined) ?? [];
  const k = ftleTable.cols - 1;
  const config = summary.config as { lyapunov?: { ftleWindow?: number } } | undefined;
  const window = config?.lyapunov?.ftleWindow ?? (ftleTable.rows > 1 ? ftleTable.values[ftleTable.cols] : 1);
  const ftle: FtleWindows = {
    window,
    starts: Array.from({ length: ftleTable.rows }, (_, r) => ftleTable.values[r * ftleTable.cols]),
    values: Float64Array.from(
      { length: ftleTable.rows * k },
      (_, i) => ftleTable.values[Math.floor(i / k) * ftleTable.cols + 1 + (i % k)],
    ),
  };
  const finite = exponents.length === k && exponents.every((x) => typeof x === "number" && Number.isFinite(x));
  const diagnostics = finite && k > 0 ? convergenceDiagnostics(exponents as number[], ftle) : null;
  const figures = new FigureWriter(dir);
  const steps = Array.from({ length: loss.rows }, (_, r) => loss.values[r * 2]);
  const losses = Array.from({ length: loss.rows }, (_, r) => loss.values[r * 2 + 1]);
  await figures.emit("loss", "Loss over the training", runLossSpec(steps, losses));
  if (ftle.starts.length > 0) {
    await figures.emit("ftle", "FTLEs per window and running estimates", runFtleSpec(ftle, runningFromWindows(ftle)));
  }
  if (finite && k > 0) {
    await figures.emit(
      "spectrum",
      "Final spectrum against its index",
      runSpectrumSpec(exponents as number[], diagnostics),
    );
  }
  const anglesPath = join(dir, "clv-angles.csv");
  if (existsSync(anglesPath))
    await figures.emit("clv-angles", "CLV angles over time", clvAnglesSpec(readTable(anglesPath)));

  const rows = diagnostics
    ? diagnostics.sortedExponents.map((x, i) => {
        const col = diagnostics.sortedColumns[i];
        return `| ${i + 1} | ${col + 1} | ${fmt(x)} | ${fmt(diagnostics.standardErrors[col])} |`;
      })
    : [];
  const md = [
    `# Run report: ${dir}`,
    "",
    `Final loss ${fmt(summary.finalLoss as number | null)}${summary.diverged ? ` (diverged at step ${String(summary.divergedAt)})` : ""}; ${String(summary.steps)} steps; D = ${String(summary.dimension)}, ${k} exponents; backend ${String(summary.backend)}.`,
    "",
    "## Convergence",
    "",
    diagnostics === null
      ? "No diagnostics: the run has no finite exponents."
      : diagnostics.flags.length === 0
        ? `Every neighbouring pair of the sorted exponents is resolved and the QR order has settled (${diagnostics.batches} batches of ${diagnostics.windowsPerBatch} windows).`
        : diagnostics.flags.map((f) => `- ${f}`).join("\n"),
    "",
    ...(rows.length > 0
      ? [
          "| sorted index | QR column | exponent | standard error (batch means) |",
          "| --- | --- | --- | --- |",
          ...rows,
          "",
        ]
      : []),
    "## Figures",
    "",
    figures.markdown(),
    "",
  ].join("\n");
  writeFileAtomic(join(dir, "report.md"), md);
  return { files: [join(dir, "report.md"), ...figures.files], diagnostics };
}
