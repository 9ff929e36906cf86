/**
 * The headline of a prediction report in a compact form, for a terminal and for a README.
 *
 *   headlineTable(report) -> markdown table      one row per scope (each activation, then pooled) and early window
 *   headlineVerdict(report) -> markdown lines    how many cases gain, and one gain sentence per case
 *
 * The numbers are those of report.md's headline (report.ts), with the intervals rounded to two decimals: the best
 * single FTLE indicator (chosen in-sample, biased upwards), the single FTLE indicator chosen inside each CV training
 * fold, and the cross-validated logistic models on the FTLE spectrum, on the early loss alone and on both, then the
 * gain (FTLE + loss) - loss. Every cell: AUC [bootstrap 95% interval].
 */
import type { CvResult, IndicatorScore, PredictionReport, WindowResult } from "./types.js";

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "–");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const signed = (x: number) => (Number.isFinite(x) ? (x >= 0 ? `+${x.toFixed(3)}` : x.toFixed(3)) : "–");
const signed2 = (x: number) => (Number.isFinite(x) ? (x >= 0 ? `+${x.toFixed(2)}` : x.toFixed(2)) : "–");
const ci = (c: [number, number]) => `[${f2(c[0])}, ${f2(c[1])}]`;

function isCv(cv: WindowResult["cv"]): cv is CvResult {
  return "models" in cv;
}

/** The interval of max(AUC, 1 - AUC), in the indicator's own orientation. */
function orientedCi(s: IndicatorScore): [number, number] {
  return s.direction === "+" ? s.ci : [1 - s.ci[1], 1 - s.ci[0]];
}

export function headlineTable(report: PredictionReport): string {
  const header = [
    report.groupNoun,
    "e",
    "n (high/low)",
    "best FTLE indicator (in-sample)",
    "FTLE indicator chosen in CV",
    "logistic(FTLE spectrum)",
    "early loss alone",
    "FTLE + loss",
    "gain: (FTLE + loss) − loss",
  ];
  const rows: string[][] = [];
  for (const s of report.scopes) {
    for (const w of s.windows) {
      const b = w.bestFtle;
      const best = b ? `${b.name} (${b.direction}) ${f3(b.discrimination)} ${ci(orientedCi(b))}` : "–";
      const cells = [s.name, String(w.window), `${w.n} (${w.nHigh}/${w.nLow})`, best];
      if (isCv(w.cv)) {
        const m = w.cv.models;
        const cv = (name: keyof typeof m) => `${f3(m[name].auc)} ${ci(m[name].ci)}`;
        const g = w.cv.gain;
        cells.push(
          cv("selected"),
          cv("spectrum"),
          cv("loss"),
          cv("combined"),
          `${signed(g.delta)} [${signed2(g.ci[0])}, ${signed2(g.ci[1])}]`,
        );
      } else {
        cells.push("–", "–", "–", "–", `not evaluated: ${w.cv.skipped}`);
      }
      rows.push(cells);
    }
  }
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function headlineVerdict(report: PredictionReport): string {
  const counts = { gain: 0, none: 0, worse: 0 };
  const lines: string[] = [];
  for (const s of report.scopes) {
    for (const w of s.windows) {
      if (isCv(w.cv)) {
        counts[w.cv.gain.verdict]++;
        lines.push(`- ${s.name}, e = ${w.window}: ${w.cv.gain.sentence}`);
      } else {
        lines.push(`- ${s.name}, e = ${w.window}: not evaluated: ${w.cv.skipped}.`);
      }
    }
  }
  const total = counts.gain + counts.none + counts.worse;
  const summary =
    total === 0
      ? "No case could be evaluated."
      : `The FTLEs add a detectable gain over the early loss in ${counts.gain} of ${total} cases (${report.groupNoun} x early window; 95% interval of the gain above 0), no detectable gain in ${counts.none}, and make the prediction worse in ${counts.worse}.`;
  return [summary, "", ...lines].join("\n");
}
