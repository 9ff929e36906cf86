/**
 * The FTLE spectra of an ensemble, summarised per group and window: for each group of runs (the grid values that vary,
 * as `weightdyn predict` groups them) and each recorded window e, the median and quartiles of the largest FTLE
 * (ftle[0]) and of the sum of the spectrum over the converged runs, and separately over the runs whose final loss is
 * below and above the group's largest gap in log10 c_f (predict's gap rule, computed per group). For the window of a
 * whole run (e = training.steps, transient 0) these are the runs' Lyapunov exponents. Markdown on stdout.
 *
 *   node --import tsx scripts/summarise-exponents.ts DIR
 */

import { quantileSorted } from "../src/predict/bootstrap.js";
import { readEnsemble, runGroups, studyBaseConfig, valueLabel } from "../src/predict/input.js";
import { finalLossOf, labelOf, splitThreshold } from "../src/predict/labels.js";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node --import tsx scripts/summarise-exponents.ts DIR");
  process.exit(2);
}
const input = readEnsemble(dir);
const baseActivation = (studyBaseConfig(input.study)?.network as Record<string, unknown> | undefined)?.activation;
const groups = runGroups(input.runs, baseActivation === undefined ? "all" : valueLabel(baseActivation));

/** Median [first quartile, third quartile] (quantileSorted: linear interpolation between order statistics). */
function quartiles(values: number[]): string {
  if (values.length === 0) return "–";
  const v = values.slice().sort((a, b) => a - b);
  const f = (x: number) => x.toExponential(2);
  return `${f(quantileSorted(v, 0.5))} [${f(quantileSorted(v, 0.25))}, ${f(quantileSorted(v, 0.75))}]`;
}

const lines = [
  `FTLE spectra of ${input.runs.length} runs in ${dir}, per group and window e: median [quartiles] over the converged`,
  "runs, all of them and split by predict's rule (the largest gap in log10 c_f, else the median; low / high final loss).",
  "",
  "| group | e | runs (low / high) | largest FTLE, all | low | high | sum of the spectrum, all | low | high |",
  "|---|---:|---|---|---|---|---|---|---|",
];
for (const name of [...new Set(groups)]) {
  const runs = input.runs.filter((_, i) => groups[i] === name).filter((r) => !finalLossOf(r).diverged);
  // predict's rule: the largest gap when it passes the width and balance checks, else the median
  const threshold = splitThreshold(runs.map((r) => finalLossOf(r).log10 as number));
  const windows = [...new Set(runs.flatMap((r) => (r.early ?? []).map((e) => e.window)))].sort((a, b) => a - b);
  for (const e of windows) {
    const rows = runs.flatMap((r) => {
      const ftle = r.early?.find((x) => x.window === e)?.ftle;
      if (!ftle || ftle.some((x) => x === null)) return [];
      const spectrum = ftle as number[];
      const sum = spectrum.reduce((s, x) => s + x, 0);
      return [{ high: labelOf(finalLossOf(r).log10, threshold) === 1, top: spectrum[0], sum }];
    });
    const part = (high?: boolean) => rows.filter((r) => high === undefined || r.high === high);
    const high = part(true).length;
    lines.push(
      `| ${name} | ${e} | ${rows.length} (${rows.length - high} / ${high}) | ` +
        [undefined, false, true].map((h) => quartiles(part(h).map((r) => r.top))).join(" | ") +
        " | " +
        [undefined, false, true].map((h) => quartiles(part(h).map((r) => r.sum))).join(" | ") +
        " |",
    );
  }
}
console.log(lines.join("\n"));
