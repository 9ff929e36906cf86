/**
 * The figures of a study's prediction report that show the runs by outcome (vega-lite specs; rendered by plots.ts).
 * Every plotted value comes from a run record (runs.ndjson), the report, or a rerun of a recorded run; the specs
 * carry their data inline, so tests read it back from `spec.data.values`.
 *
 *   lossCurvesSpec(report, records)   loss curves at the recorded checkpoints, coloured by the run's label, one panel
 *                                     per activation, a sample of runs per class
 *   earlyFtleSpec(report, records)    the early FTLE spectrum (sorted, first few exponents) per class: box plots per
 *                                     early window, one panel per activation and exponent
 *   oofRocSpec(report)                out-of-fold ROC curves of the CV models (early loss, FTLE spectrum, both)
 *   ftleBandsSpec(series)             the FTLE of each window over the whole training for rerun runs: median and
 *                                     interquartile band per class, per activation and exponent
 *
 * Facets: activations in the order of the activation table (figure-style.ts), windows ascending, exponents by
 * index, classes low then high. Loss axes are logarithmic, shared by all panels, and floored at LOSS_FLOOR.
 */
import type { TopLevelSpec } from "vega-lite";
import { quantileSorted } from "./bootstrap.js";
import {
  activationFacet,
  CLASS_COLORS,
  CONFIG,
  clampLoss,
  className,
  LOSS_FLOOR,
  rocFacet,
  rocRows,
  SCHEMA,
} from "./figure-style.js";
import type { RunRecord } from "./input.js";
import type { PredictionReport } from "./types.js";

/** Runs of each class per activation drawn in the loss-curve figure. */
export const CURVES_PER_CLASS = 40;
/** Leading exponents (of the sorted spectrum) shown per class. */
export const EXPONENTS_SHOWN = 4;

/** One rerun's windowed FTLEs (rerun.ts). */
export interface ClassSeries {
  run: number;
  group: string;
  label: 0 | 1;
  /** [window start, FTLE 1, FTLE 2, ...] rows, QR order. */
  ftle: number[][];
}

type Values = Record<string, unknown>[];

/** The report's label and group of each run index. */
function labels(report: PredictionReport): Map<number, { group: string; label: 0 | 1 }> {
  return new Map(report.runs.map((r) => [r.index, { group: r.group, label: r.label }]));
}

export function lossCurvesSpec(report: PredictionReport, records: readonly RunRecord[]): TopLevelSpec {
  const byIndex = labels(report);
  const taken = new Map<string, number>();
  let clamped = 0;
  const values: Values = [];
  for (const run of [...records].sort((a, b) => a.index - b.index)) {
    const l = byIndex.get(run.index);
    if (!l || !run.lossCheckpoints) continue;
    const key = `${l.group}|${l.label}`;
    if ((taken.get(key) ?? 0) >= CURVES_PER_CLASS) continue;
    taken.set(key, (taken.get(key) ?? 0) + 1);
    for (const [step, loss] of run.lossCheckpoints) {
      if (loss === null || !Number.isFinite(loss)) continue;
      const v = clampLoss(loss);
      if (v.clamped) clamped++;
      values.push({ activation: l.group, run: run.index, outcome: className(l.label), step, loss: v.value });
    }
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Loss curves by outcome",
      subtitle: [
        `the first ${CURVES_PER_CLASS} runs of each class per activation, at the recorded loss checkpoints`,
        `log axis shared by all panels; ${clamped} point(s) below ${LOSS_FLOOR.toExponential(0)} (exact fits) drawn at ${LOSS_FLOOR.toExponential(0)}`,
      ],
    },
    data: { values },
    facet: {
      column: activationFacet(report.groups.map((g) => g.name)),
    },
    spec: {
      width: 200,
      height: 180,
      mark: { type: "line", strokeWidth: 0.8, opacity: 0.5 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: {
          field: "loss",
          type: "quantitative",
          title: "loss C(w_t)",
          scale: { type: "log" },
          axis: { format: ".0e" },
        },
        color: { field: "outcome", type: "nominal", scale: CLASS_COLORS, title: null, legend: { orient: "top" } },
        detail: { field: "run", type: "quantitative" },
      },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export function earlyFtleSpec(report: PredictionReport, records: readonly RunRecord[]): TopLevelSpec {
  const byIndex = labels(report);
  const values: Values = [];
  for (const run of records) {
    const l = byIndex.get(run.index);
    if (!l) continue;
    for (const e of run.early ?? []) {
      if (!e.ftle || e.ftle.some((x) => x === null)) continue;
      const sorted = (e.ftle as number[]).slice().sort((a, b) => b - a);
      sorted.slice(0, EXPONENTS_SHOWN).forEach((ftle, j) => {
        values.push({
          activation: l.group,
          exponent: `exponent ${j + 1}`,
          j,
          window: `e = ${e.window}`,
          w: e.window,
          outcome: className(l.label),
          ftle,
        });
      });
    }
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Early FTLE spectrum by outcome",
      subtitle: [
        `the ${EXPONENTS_SHOWN} largest early FTLEs (sorted) of every usable run, per early window e; boxes: quartiles, whiskers 1.5 IQR`,
        "each panel has its own y range (the exponents differ in size)",
      ],
    },
    data: { values },
    facet: {
      row: activationFacet(report.groups.map((g) => g.name)),
      column: { field: "exponent", type: "nominal", title: null, sort: { field: "j", op: "min" } },
    },
    spec: {
      width: { step: 28 },
      height: 130,
      mark: { type: "boxplot", extent: 1.5, size: 10, outliers: { size: 4, opacity: 0.4 } },
      encoding: {
        x: { field: "window", type: "nominal", title: null, sort: { field: "w", op: "min" }, axis: { labelAngle: 0 } },
        xOffset: { field: "outcome", type: "nominal", sort: [...CLASS_COLORS.domain] },
        y: { field: "ftle", type: "quantitative", title: "early FTLE (per step)", scale: { zero: false } },
        color: { field: "outcome", type: "nominal", scale: CLASS_COLORS, title: null, legend: { orient: "top" } },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}

const MODEL_NAMES = { loss: "early loss alone", spectrum: "FTLE spectrum", combined: "FTLE + loss" } as const;

export function oofRocSpec(report: PredictionReport): TopLevelSpec {
  const values: Values = [];
  const panels: string[] = [];
  for (const scope of report.scopes) {
    for (const w of scope.windows) {
      if (!("models" in w.cv)) continue;
      const panel = `${scope.name}, e = ${w.window}`;
      panels.push(panel);
      for (const model of ["loss", "spectrum", "combined"] as const) {
        const curve = w.cv.roc?.[model];
        if (!curve) continue;
        const auc = w.cv.models[model].auc;
        values.push(...rocRows(curve, { panel, model: `${MODEL_NAMES[model]} (${auc.toFixed(3)})`, kind: model }));
      }
    }
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Out-of-fold ROC curves of the cross-validated models",
      subtitle:
        "first repeat of the cross-validation; legend: the CV AUC (mean over repeats) of each model in each panel",
    },
    ...rocFacet(values, panels, {
      columns: report.windows.length,
      size: 170,
      strokeWidth: 1.5,
      color: {
        field: "kind",
        type: "nominal",
        title: null,
        scale: { domain: ["loss", "spectrum", "combined"], range: ["#888888", "#f58518", "#54a24b"] },
        legend: {
          orient: "bottom",
          labelExpr:
            "datum.value === 'loss' ? 'early loss alone' : datum.value === 'spectrum' ? 'FTLE spectrum' : 'FTLE + loss'",
        },
      },
      tooltip: "model",
    }),
    config: CONFIG,
  } as TopLevelSpec;
}

/** Median and quartiles of a few numbers (quantileSorted: linear interpolation between order statistics). */
function quartiles(xs: number[]): [number, number, number] {
  const v = xs.slice().sort((a, b) => a - b);
  return [quantileSorted(v, 0.25), quantileSorted(v, 0.5), quantileSorted(v, 0.75)];
}

export function ftleBandsSpec(series: readonly ClassSeries[]): TopLevelSpec {
  const cells = new Map<string, { group: string; label: 0 | 1; j: number; start: number; xs: number[] }>();
  let runs = 0;
  for (const s of series) {
    runs++;
    for (const row of s.ftle) {
      const sorted = row.slice(1).sort((a, b) => b - a);
      sorted.slice(0, EXPONENTS_SHOWN).forEach((x, j) => {
        const key = `${s.group}|${s.label}|${j}|${row[0]}`;
        if (!cells.has(key)) cells.set(key, { group: s.group, label: s.label, j, start: row[0], xs: [] });
        if (Number.isFinite(x)) cells.get(key)?.xs.push(x);
      });
    }
  }
  const values: Values = [...cells.values()]
    .filter((c) => c.xs.length > 0)
    .map((c) => {
      const [q1, median, q3] = quartiles(c.xs);
      return {
        activation: c.group,
        outcome: className(c.label),
        exponent: `exponent ${c.j + 1}`,
        j: c.j,
        step: c.start,
        q1,
        median,
        q3,
        n: c.xs.length,
      };
    });
  const groups = series.map((s) => s.group);
  return {
    $schema: SCHEMA,
    title: {
      text: "FTLE spectrum over the training, by outcome",
      subtitle: [
        `FTLE of each window (sorted, ${EXPONENTS_SHOWN} largest) of ${runs} rerun runs spread over each class; line: median, band: quartiles`,
        "each panel has its own y range",
      ],
    },
    data: { values },
    facet: {
      row: activationFacet(groups),
      column: { field: "exponent", type: "nominal", title: null, sort: { field: "j", op: "min" } },
    },
    spec: {
      width: 180,
      height: 110,
      layer: [
        {
          mark: { type: "area", opacity: 0.25 },
          encoding: {
            x: { field: "step", type: "quantitative", title: "window start (step)" },
            y: { field: "q1", type: "quantitative", title: "FTLE (per step)", scale: { zero: false } },
            y2: { field: "q3" },
            color: { field: "outcome", type: "nominal", scale: CLASS_COLORS, title: null, legend: { orient: "top" } },
          },
        },
        {
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: { field: "step", type: "quantitative" },
            y: { field: "median", type: "quantitative" },
            color: { field: "outcome", type: "nominal", scale: CLASS_COLORS },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}
