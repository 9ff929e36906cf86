/**
 * The documented search behind studies/default.json: in which small setting do the final losses c_f of many
 * initial conditions split into groups, for at least three activations?
 *
 *   node --import tsx scripts/search-default-study.ts [--out docs/default-study-search.md]
 *
 * Writes docs/default-study-search.md (command, date, machine, the criteria, the ranked candidates, the choice) and
 * docs/default-study-search.csv (every candidate and activation of stage 1).
 *
 * Stage 1 scans every setting of SCAN (task x hidden width x init scale x learning rate) for each of ACTIVATIONS with
 * STAGE1_RUNS initial conditions, training STEPS_MAX steps once and reading c at each of STEP_CHOICES (the weight
 * trajectory does not depend on the later steps, so the shorter trainings come for free). Stage 2 runs the
 * STAGE2_TOP best candidates again with STAGE2_RUNS fresh initial conditions (another seed), so the choice does not
 * rest on the draws that selected it. Runs train only (lyapunov.exponents = 0): the weight trajectory, hence c_f,
 * is the same as with the spectrum, at about a third of the cost. One thread (another job may share the machine).
 *
 * The score of one activation in one candidate (the split): over the converged runs, sort log10 c_f and take the
 * widest gap between consecutive values with both ranks within the 10th..90th percentile ranks (gapThreshold of
 * src/predict/labels.ts with central = 0.8, the rule of `weightdyn predict` with narrower margins). The split holds
 * when the gap is at least MIN_GAP decades, each side holds at least MIN_SIDE of the runs (diverged runs count as
 * the high side) and at most MAX_DIVERGED diverged. `ratio`: the gap over the mean gap between consecutive values in
 * the same ranks (about ln n for values spread evenly; large for separated groups). A candidate qualifies when the
 * split holds in at least MIN_ACTIVATIONS activations; qualifying candidates are ranked by the MIN_ACTIVATIONS-th
 * largest gap among the activations where it holds, then by the number of such activations.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { loadBackend } from "../src/backend/loader.js";
import { parseRunConfig } from "../src/config/validate.js";
import { runSeed } from "../src/ensemble/seeds.js";
import { gapThreshold } from "../src/predict/labels.js";
import { trainRun } from "../src/run.js";

const ACTIVATIONS = ["tanh", "sigmoid", "relu", "elu", "softplus"] as const;
const SCAN = {
  task: ["sin", "gauss", "abs", "polynomial"],
  hidden: [2, 4, 8],
  scale: [0.5, 1, 2, 4],
  learningRate: [0.1, 0.5],
};
const STEP_CHOICES = [2000, 3000, 5000];
const STEPS_MAX = Math.max(...STEP_CHOICES);
const STAGE1_RUNS = 40;
const STAGE1_SEED = 1;
const STAGE2_TOP = 6;
const STAGE2_RUNS = 120;
const STAGE2_SEED = 2;
const MIN_GAP = 0.5;
const MIN_SIDE = 0.15;
const MAX_DIVERGED = 0.1;
const MIN_ACTIVATIONS = 3;
const CENTRAL = 0.8;

interface Setting {
  task: string;
  hidden: number;
  scale: number;
  learningRate: number;
}
interface Split {
  activation: string;
  n: number;
  diverged: number;
  gap: number;
  ratio: number;
  below: number;
  above: number;
  /** Threshold log10 c_f (midpoint of the gap). */
  at: number;
  holds: boolean;
}
interface Candidate extends Setting {
  steps: number;
  splits: Split[];
  holding: number;
  score: number;
}

const backend = loadBackend("auto");

/** log10 c at each of STEP_CHOICES (null: diverged before) for `runs` initial conditions of one setting. */
function sample(s: Setting, activation: string, runs: number, seed: number): (number | null)[][] {
  const out: (number | null)[][] = STEP_CHOICES.map(() => []);
  for (let i = 0; i < runs; i++) {
    const config = parseRunConfig({
      network: { hidden: s.hidden, activation },
      data: { function: s.task },
      init: { scale: s.scale, seed: runSeed(seed, i) },
      training: { learningRate: s.learningRate, steps: STEPS_MAX },
      lyapunov: { exponents: 0 },
    });
    const { losses } = trainRun(config, { backend });
    STEP_CHOICES.forEach((t, j) => {
      const c = t < losses.length ? losses[t] : Number.NaN;
      out[j].push(Number.isFinite(c) && c >= 0 ? Math.log10(Math.max(c, Number.MIN_VALUE)) : null);
    });
  }
  return out;
}

function splitOf(activation: string, values: (number | null)[]): Split {
  const finite = values.filter((v): v is number => v !== null);
  const n = values.length;
  const diverged = n - finite.length;
  if (finite.length < 2)
    return { activation, n, diverged, gap: 0, ratio: 0, below: 0, above: 1, at: NaN, holds: false };
  const t = gapThreshold(finite, CENTRAL);
  const g = t.gap as NonNullable<typeof t.gap>;
  const sorted = finite.slice().sort((a, b) => a - b);
  const [lo, hi] = g.centralRanks;
  const meanGap = (sorted[hi] - sorted[lo]) / Math.max(hi - lo, 1);
  const below = (g.ranks[0] + 1) / n;
  const above = 1 - below;
  const holds = g.width >= MIN_GAP && Math.min(below, above) >= MIN_SIDE && diverged / n <= MAX_DIVERGED;
  return {
    activation,
    n,
    diverged,
    gap: g.width,
    ratio: meanGap > 0 ? g.width / meanGap : Infinity,
    below,
    above,
    at: t.log10,
    holds,
  };
}

function score(splits: Split[]): { holding: number; score: number } {
  const gaps = splits
    .filter((s) => s.holds)
    .map((s) => s.gap)
    .sort((a, b) => b - a);
  return { holding: gaps.length, score: gaps.length >= MIN_ACTIVATIONS ? gaps[MIN_ACTIVATIONS - 1] : 0 };
}

const byRank = (a: Candidate, b: Candidate) => b.score - a.score || b.holding - a.holding;

function evaluate(settings: Setting[], runs: number, seed: number, label: string): Candidate[] {
  const out: Candidate[] = [];
  const t0 = performance.now();
  settings.forEach((s, k) => {
    const perActivation = ACTIVATIONS.map((a) => sample(s, a, runs, seed));
    STEP_CHOICES.forEach((steps, j) => {
      const splits = ACTIVATIONS.map((a, ai) => splitOf(a, perActivation[ai][j]));
      out.push({ ...s, steps, splits, ...score(splits) });
    });
    const el = (performance.now() - t0) / 1000;
    process.stderr.write(
      `${label}: ${k + 1}/${settings.length} settings, ${el.toFixed(0)} s, about ${((el / (k + 1)) * (settings.length - k - 1)).toFixed(0)} s left\r`,
    );
  });
  process.stderr.write("\n");
  return out.sort(byRank);
}

const name = (c: Setting & { steps: number }) =>
  `${c.task}, h=${c.hidden}, scale=${c.scale}, eta=${c.learningRate}, ${c.steps} steps`;
const cell = (s: Split) =>
  `${s.gap.toFixed(2)} x${s.ratio.toFixed(1)} (${Math.round(100 * s.below)}/${Math.round(100 * s.above)}${s.diverged ? `, ${s.diverged} div` : ""})${s.holds ? " ✓" : ""}`;

function table(cands: Candidate[]): string {
  const head = ["#", "setting", ...ACTIVATIONS, "holds in", "score"];
  const rows = cands.map((c, i) => [
    String(i + 1),
    name(c),
    ...c.splits.map(cell),
    String(c.holding),
    c.score.toFixed(2),
  ]);
  return [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function csv(cands: Candidate[]): string {
  const lines = [
    "task,hidden,scale,learningRate,steps,activation,runs,diverged,gap_decades,ratio,below,above,threshold_log10,holds",
  ];
  for (const c of cands)
    for (const s of c.splits)
      lines.push(
        [
          c.task,
          c.hidden,
          c.scale,
          c.learningRate,
          c.steps,
          s.activation,
          s.n,
          s.diverged,
          s.gap.toFixed(4),
          s.ratio.toFixed(2),
          s.below.toFixed(3),
          s.above.toFixed(3),
          s.at.toFixed(4),
          s.holds,
        ].join(","),
      );
  return `${lines.join("\n")}\n`;
}

const outArg = process.argv.indexOf("--out");
const mdPath = outArg > 0 ? process.argv[outArg + 1] : "docs/default-study-search.md";
const csvPath = mdPath.replace(/\.md$/, ".csv");
const started = new Date();
const t0 = performance.now();

const settings: Setting[] = [];
for (const task of SCAN.task)
  for (const hidden of SCAN.hidden)
    for (const scale of SCAN.scale)
      for (const learningRate of SCAN.learningRate) settings.push({ task, hidden, scale, learningRate });
const stage1 = evaluate(settings, STAGE1_RUNS, STAGE1_SEED, "stage 1");
const t1 = (performance.now() - t0) / 1000;

// Stage 2: the best distinct settings of stage 1 (a setting may rank with several step counts: keep its best).
const top: Candidate[] = [];
for (const c of stage1.filter((c) => c.score > 0))
  if (
    top.length < STAGE2_TOP &&
    !top.some(
      (t) => t.task === c.task && t.hidden === c.hidden && t.scale === c.scale && t.learningRate === c.learningRate,
    )
  )
    top.push(c);
const stage2 = evaluate(top, STAGE2_RUNS, STAGE2_SEED, "stage 2");
const t2 = (performance.now() - t0) / 1000 - t1;
const chosen = stage2.find((c) => c.score > 0) ?? null;

const cpu = cpus()[0]?.model ?? "unknown CPU";
const md = [
  "# The search behind the default study",
  "",
  "Written by `node --import tsx scripts/search-default-study.ts` (its module comment states the method; the " +
    "constants at its top are the grid). Which small setting makes the final losses c_f of many initial conditions " +
    "split into groups, in at least three activations? `studies/default.json` is the chosen setting.",
  "",
  `- Date: ${started.toISOString()}; machine: ${availableParallelism()} cores (${cpu}), Node ${process.version}, backend ${backend.name}, one thread.`,
  `- Compute: stage 1 ${t1.toFixed(0)} s, stage 2 ${t2.toFixed(0)} s.`,
  `- Network 1-h-1, identity output, 40 equally spaced samples on [-1, 1], uniform initial weights on [-scale, scale], full-batch gradient descent; training only (lyapunov.exponents = 0: c_f does not depend on it).`,
  `- Stage 1: tasks ${SCAN.task.join(", ")}; hidden widths ${SCAN.hidden.join(", ")}; init scales ${SCAN.scale.join(", ")}; learning rates ${SCAN.learningRate.join(", ")}; c read after ${STEP_CHOICES.join(", ")} steps (of one ${STEPS_MAX}-step training); activations ${ACTIVATIONS.join(", ")}; ${STAGE1_RUNS} initial conditions each (seeds runSeed(${STAGE1_SEED}, i)). ${settings.length} settings x ${STEP_CHOICES.length} step counts = ${stage1.length} candidates, ${settings.length * ACTIVATIONS.length * STAGE1_RUNS} trainings.`,
  `- Stage 2: the ${top.length} best distinct settings of stage 1 again with ${STAGE2_RUNS} fresh initial conditions (seeds runSeed(${STAGE2_SEED}, i)).`,
  `- Split of one activation: the widest gap in sorted log10 c_f between consecutive converged runs within the 10th..90th percentile ranks. It holds when the gap is >= ${MIN_GAP} decades, each side holds >= ${100 * MIN_SIDE}% of the runs (diverged runs count as high) and <= ${100 * MAX_DIVERGED}% diverged. Score of a candidate: the ${MIN_ACTIVATIONS}rd largest gap among the activations where the split holds (0 if it holds in fewer than ${MIN_ACTIVATIONS}).`,
  "- Cell: gap in decades, x its ratio to the mean gap in the same ranks (about ln n = 3.7 for n = 40 values spread evenly), (percent of runs below / above the gap; diverged runs); ✓ where the split holds.",
  "",
  "## Choice",
  "",
  chosen
    ? `**${name(chosen)}**: the split holds in ${chosen.holding} of ${ACTIVATIONS.length} activations (${chosen.splits
        .filter((s) => s.holds)
        .map((s) => s.activation)
        .join(", ")}) with ${STAGE2_RUNS} fresh initial conditions; score ${chosen.score.toFixed(2)} decades.`
    : "No candidate qualified in stage 2.",
  "",
  "The default study (`studies/default.json`, run by `npm start`) takes the chosen setting with the activations in " +
    "which its split holds here, the full Lyapunov spectrum and more initial conditions per activation.",
  "",
  `## Stage 2 (${STAGE2_RUNS} initial conditions per activation)`,
  "",
  table(stage2),
  "",
  `## Stage 1: the 40 best of ${stage1.length} candidates (${STAGE1_RUNS} initial conditions per activation)`,
  "",
  `${stage1.filter((c) => c.score > 0).length} candidates qualify. Every candidate and activation: [${csvPath.split("/").pop()}](${csvPath.split("/").pop()}).`,
  "",
  table(stage1.slice(0, 40)),
  "",
].join("\n");
writeFileSync(mdPath, md);
writeFileSync(csvPath, csv(stage1));
process.stdout.write(
  `${chosen ? `chosen: ${name(chosen)}` : "no candidate qualified"}\nwrote ${mdPath} and ${csvPath}\n`,
);
