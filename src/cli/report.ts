/**
 * formatRunReport(result, info) -> one paragraph for stdout after `weightdyn run` / `weightdyn start`.
 *
 * Reads these summary keys when present (the engine owns summary.json; anything missing is left out or taken from
 * the loss series): `steps`, `backend`, `finalLoss` (null, as summary.json writes a non-finite loss: "no finite
 * final loss"), `diverged`, `divergedStep` (or `divergedAt`), `exponents` (array or typed array, largest first).
 */
import type { RunOutputFiles, RunOutputs } from "../io/outputs.js";

export interface RunReportInfo {
  /** The backend that was asked for (used when the summary does not say which one ran). */
  requestedBackend: string;
  /** Wall time of the training, seconds. */
  wallSeconds: number;
  /** The output directory as the user gave it. */
  outDir: string;
  files?: RunOutputFiles;
  /** How many exponents to print (default 5). */
  firstExponents?: number;
}

/** A number with 5 significant digits (NaN, Infinity as such). */
export function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(5))) : String(x);
}

function numberArray(value: unknown): number[] | null {
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) return value;
  if (value instanceof Float64Array || value instanceof Float32Array) return Array.from(value);
  return null;
}

export function formatRunReport(result: RunOutputs, info: RunReportInfo): string {
  const s = result.summary;
  const lossValues = result.loss.values;
  const backend = typeof s.backend === "string" ? s.backend : info.requestedBackend;
  const optimizer = s.optimizer as { name?: unknown } | undefined;
  const rule = typeof optimizer?.name === "string" && optimizer.name !== "gd" ? ` of ${optimizer.name}` : "";
  const batches = typeof s.batches === "string" && s.batches !== "full batch" ? ` (${s.batches})` : "";
  const what = typeof s.steps === "number" ? `Trained ${s.steps} steps${rule}${batches}` : "Trained";
  const threads = typeof s.threads === "number" && s.threads > 1 ? ` (up to ${s.threads} threads)` : "";
  const parts: string[] = [`${what} on the ${backend} backend${threads} in ${info.wallSeconds.toFixed(2)} s`];

  // The summary's own value: null there (a non-finite loss) is said as such, never replaced by an earlier loss.
  const finalLoss =
    typeof s.finalLoss === "number"
      ? s.finalLoss
      : s.finalLoss === null
        ? null
        : lossValues.length > 0
          ? lossValues[lossValues.length - 1]
          : undefined;
  const divergedStep = typeof s.divergedStep === "number" ? s.divergedStep : s.divergedAt;
  const diverged =
    s.diverged === true
      ? `diverged${typeof divergedStep === "number" ? ` at step ${divergedStep}` : ""}`
      : s.diverged === false
        ? "did not diverge"
        : null;
  const lossText =
    finalLoss === undefined
      ? ""
      : finalLoss === null
        ? "no finite final loss"
        : `final loss ${formatNumber(finalLoss)}`;
  const tail = [lossText, diverged].filter((t) => t !== null && t !== "");
  if (tail.length > 0) parts[0] += `: ${tail.length === 2 ? `${tail[0]} (${tail[1]})` : tail[0]}`;

  const exponents = numberArray(s.exponents);
  if (exponents !== null && exponents.length > 0) {
    const first = exponents.slice(0, info.firstExponents ?? 5).map(formatNumber);
    const which =
      exponents.length > first.length ? `first ${first.length} of ${exponents.length}` : `all ${exponents.length}`;
    parts.push(`Lyapunov exponents (${which}): ${first.join(", ")}`);
  } else if (exponents !== null) {
    parts.push("No Lyapunov exponents");
  }
  const diagnostics = s.diagnostics as { flags?: string[]; batches?: number; standardErrors?: unknown } | undefined;
  if (diagnostics?.flags) {
    const se = numberArray(diagnostics.standardErrors);
    const largest = se && se.length > 0 ? `; largest standard error ${formatNumber(Math.max(...se))}` : "";
    parts.push(
      diagnostics.flags.length === 0
        ? `Convergence: every neighbouring pair resolved and the order settled (${diagnostics.batches} batches${largest})`
        : `Convergence: ${diagnostics.flags.join("; ")}`,
    );
  }
  const names = ["summary.json", "loss.csv", "ftle.csv"];
  const clv = s.clv as { files?: Record<string, string>; skipped?: string } | undefined;
  if (clv?.files) names.push(...Object.values(clv.files));
  if (clv?.skipped) parts.push(`No CLVs: ${clv.skipped}`);
  parts.push(`Outputs in ${info.outDir} (${names.join(", ")})`);
  return `${parts.join(". ")}.`;
}
