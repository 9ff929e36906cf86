/**
 * `weightdyn report DIR`: figures and convergence diagnostics of one run's directory (src/run-report.ts). Thin.
 *
 *   weightdyn report DIR [--quiet]
 *
 * Writes DIR/report.md and DIR/figures/; prints the diagnostics' flags and where the report is. A directory that is
 * not a run's (no summary.json, a malformed CSV) exits with 2 naming the file.
 */
import type { Command } from "commander";
import { UsageError } from "./errors.js";

export function registerReportCommand(program: Command): Command {
  return program
    .command("report")
    .description("draw the figures and convergence diagnostics of one run's directory (report.md, figures/)")
    .argument("<dir>", "a run directory, as written by `weightdyn run`")
    .option("-q, --quiet", "print only where the report is")
    .action(async (dir: string, flags: { quiet?: boolean }) => {
      const { writeRunReport, RunReportError } = await import("../run-report.js");
      let result: Awaited<ReturnType<typeof writeRunReport>>;
      try {
        result = await writeRunReport(dir);
      } catch (err) {
        if (err instanceof RunReportError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      const d = result.diagnostics;
      const lines = flags.quiet
        ? []
        : d === null
          ? ["no convergence diagnostics (no finite exponents)"]
          : d.flags.length === 0
            ? ["convergence: every neighbouring pair resolved, order settled"]
            : d.flags.map((f) => `convergence: ${f}`);
      process.stdout.write(`${[...lines, `report: ${result.files[0]}`].join("\n")}\n`);
    });
}
