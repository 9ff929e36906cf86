/**
 * The early indicators of one early window, for the runs of one scope (an activation, or all runs pooled).
 *
 *   windowData(runs, window) -> the usable runs, their labels, every scalar indicator and the feature matrices
 *
 * Scalar indicators (each a candidate "predictor" of high final loss):
 *   max       the largest early FTLE            (the recorded `max`, else computed from `ftle`)
 *   sum       the sum of the k early FTLEs      (the recorded `sum`, else computed)
 *   positive  how many early FTLEs are > 0      (the recorded `positive`, else computed)
 *   ftle[j]   the j-th early FTLE in the recorded (QR column) order, j < min(k, 5)
 *   loss      the early loss itself: the sceptic's baseline
 * Feature sets of the logistic models:
 *   spectrum  the early FTLEs sorted descending, the first k (k = the shortest spectrum among the usable runs)
 *   loss      log10 of the early loss (a loss of 0 is floored at the smallest positive double)
 *   combined  both
 * With `groups` (the pooled scope over several activations) the loss and combined feature sets also get one 0/1
 * column per group but the first: the activation is known before training, so the sceptic's baseline may use it,
 * and an FTLE that merely tells the activations apart does not count as information beyond the early loss.
 *
 * A run is usable in a window when it has an `early` entry for that window whose spectrum and loss are finite
 * numbers (a run that diverged before the window has none). The others are excluded from every number of that
 * window, so every model and indicator of a window is evaluated on the same runs, and counted (with how many of
 * them were high or diverged) so that none is dropped silently.
 */
import type { EarlyEntry, RunRecord } from "./input.js";
import type { Matrix } from "./logistic.js";

/** At most this many individual FTLE components are scored as single indicators. */
export const MAX_COMPONENT_INDICATORS = 5;

const LOG10_MIN = Math.log10(Number.MIN_VALUE);

export interface LabelledRun {
  run: RunRecord;
  group: string;
  log10FinalLoss: number | null;
  diverged: boolean;
  label: 0 | 1;
}

export interface Indicator {
  name: string;
  kind: "ftle" | "loss";
  values: Float64Array;
}

export interface WindowData {
  window: number;
  /** The usable runs, in scope order. */
  runs: LabelledRun[];
  labels: Uint8Array;
  excluded: { total: number; high: number; diverged: number };
  /** Spectrum length used (the shortest among the usable runs). */
  k: number;
  indicators: Indicator[];
  features: { spectrum: Matrix; loss: Matrix; combined: Matrix };
  /** Groups whose indicator columns the loss and combined features include (empty: none). */
  adjustedFor: string[];
}

function finiteArray(values: unknown): number[] | null {
  if (!Array.isArray(values) || values.length === 0) return null;
  for (const v of values) if (typeof v !== "number" || !Number.isFinite(v)) return null;
  return values as number[];
}

function recordedOr(recorded: unknown, computed: number): number {
  return typeof recorded === "number" && Number.isFinite(recorded) ? recorded : computed;
}

/** The early entry of a run for a window, if usable (module comment). */
export function usableEntry(
  run: RunRecord,
  window: number,
): { entry: EarlyEntry; ftle: number[]; loss: number } | null {
  const entry = run.early?.find((e) => e.window === window);
  if (!entry) return null;
  const ftle = finiteArray(entry.ftle);
  const loss = entry.loss;
  if (!ftle || typeof loss !== "number" || !Number.isFinite(loss) || loss < 0) return null;
  return { entry, ftle, loss };
}

/** Every early window that appears in any run, ascending. */
export function earlyWindows(runs: readonly RunRecord[]): number[] {
  const set = new Set<number>();
  for (const r of runs) for (const e of r.early ?? []) set.add(e.window);
  return [...set].sort((a, b) => a - b);
}

export function windowData(scope: readonly LabelledRun[], window: number, groups: readonly string[] = []): WindowData {
  const usable: { lr: LabelledRun; entry: EarlyEntry; ftle: number[]; loss: number }[] = [];
  const excluded = { total: 0, high: 0, diverged: 0 };
  for (const lr of scope) {
    const u = usableEntry(lr.run, window);
    if (u) {
      usable.push({ lr, ...u });
    } else {
      excluded.total++;
      excluded.high += lr.label;
      if (lr.diverged) excluded.diverged++;
    }
  }
  const n = usable.length;
  const k = n === 0 ? 0 : Math.min(...usable.map((u) => u.ftle.length));
  const components = Math.min(k, MAX_COMPONENT_INDICATORS);
  const col = (f: (u: (typeof usable)[number]) => number) => Float64Array.from(usable, f);
  const indicators: Indicator[] = [
    { name: "max", kind: "ftle", values: col((u) => recordedOr(u.entry.max, Math.max(...u.ftle))) },
    {
      name: "sum",
      kind: "ftle",
      values: col((u) =>
        recordedOr(
          u.entry.sum,
          u.ftle.reduce((a, b) => a + b, 0),
        ),
      ),
    },
    {
      name: "positive",
      kind: "ftle",
      values: col((u) => recordedOr(u.entry.positive, u.ftle.filter((v) => v > 0).length)),
    },
    ...Array.from({ length: components }, (_, j) => ({
      name: `ftle[${j}]`,
      kind: "ftle" as const,
      values: col((u) => u.ftle[j]),
    })),
    { name: "loss", kind: "loss", values: col((u) => u.loss) },
  ];
  const dummies = groups.length > 1 ? groups.slice(1) : [];
  const g = dummies.length;
  const spectrum = new Float64Array(n * k);
  const loss = new Float64Array(n * (1 + g));
  const combined = new Float64Array(n * (k + 1 + g));
  usable.forEach((u, i) => {
    const sorted = u.ftle
      .slice()
      .sort((a, b) => b - a)
      .slice(0, k);
    const logLoss = u.loss === 0 ? LOG10_MIN : Math.log10(u.loss);
    const group = dummies.map((name) => (u.lr.group === name ? 1 : 0));
    spectrum.set(sorted, i * k);
    loss.set([logLoss, ...group], i * (1 + g));
    combined.set([...sorted, logLoss, ...group], i * (k + 1 + g));
  });
  return {
    window,
    runs: usable.map((u) => u.lr),
    labels: Uint8Array.from(usable, (u) => u.lr.label),
    excluded,
    k,
    indicators,
    features: {
      spectrum: { rows: n, cols: k, data: spectrum },
      loss: { rows: n, cols: 1 + g, data: loss },
      combined: { rows: n, cols: k + 1 + g, data: combined },
    },
    adjustedFor: dummies.length > 0 ? groups.slice() : [],
  };
}

/** The FTLE scalar indicators as the columns of one matrix (for the selection learner). */
export function ftleIndicatorMatrix(data: WindowData): { names: string[]; X: Matrix } {
  const ftle = data.indicators.filter((ind) => ind.kind === "ftle");
  const n = data.labels.length;
  const X = new Float64Array(n * ftle.length);
  ftle.forEach((ind, c) => {
    for (let i = 0; i < n; i++) X[i * ftle.length + c] = ind.values[i];
  });
  return { names: ftle.map((ind) => ind.name), X: { rows: n, cols: ftle.length, data: X } };
}
