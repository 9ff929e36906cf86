/**
 * The figures of the atlas report, as vega-lite specs built from the analysed settings and their runs (rendered by
 * src/predict/plots.ts: renderFigure). Every plotted value comes from a SettingResult, a WindowSummary or a run
 * record; the specs carry their data inline, so tests read it back from `spec.data.values`.
 *
 *   forestSpec(settings, summaries)        the gain of every setting with its 95% interval, per early window, and
 *                                          the pooled random-effects gain with its prediction interval
 *   aucSpec(settings)                      CV AUC of the early loss alone against FTLE + loss, per setting and window
 *   moderatorSpec(summaries)               the pooled gain per level of each factor of the design
 *   bimodalitySpec(settings, summaries)    the gain against the bimodality of c_f, with the meta-regression line
 *   lossCurvesSpec(curves)                 loss curves of sampled runs per setting, coloured by their label
 */
import type { TopLevelSpec } from "vega-lite";
import { verdictOf } from "../predict/evaluate.js";
import { CLASS_COLORS, CONFIG, clampLoss, className, LOSS_FLOOR, SCHEMA } from "../predict/figure-style.js";
import { BIMODALITY_THRESHOLD } from "../stats/bimodality.js";
import type { SettingResult } from "./setting.js";
import type { WindowSummary } from "./summary.js";

const VERDICT_COLORS = {
  domain: ["gain", "none", "worse"],
  range: ["#2ca02c", "#888888", "#d62728"],
};

/** "e = 300" or, when the steps are known, "e = 300 (10%)". */
export function windowName(window: number, steps?: number): string {
  return steps ? `e = ${window} (${Math.round((100 * window) / steps)}%)` : `e = ${window}`;
}

export const POOLED_ROW = "pooled (random effects)";

/** Window facets in ascending order of the window (the numeric field w of every datum). */
const BY_WINDOW = { field: "w", op: "min" } as const;

export function forestSpec(
  settings: readonly SettingResult[],
  summaries: readonly WindowSummary[],
  steps?: number,
): TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  settings.forEach((s, order) => {
    for (const w of s.windows) {
      if (!w.gain) continue;
      values.push({
        row: s.label,
        order,
        window: windowName(w.window, steps),
        w: w.window,
        delta: w.gain.delta,
        lo: w.gain.ci[0],
        hi: w.gain.ci[1],
        verdict: w.gain.verdict,
        kind: "setting",
      });
    }
  });
  for (const sum of summaries) {
    if (!sum.pooled) continue;
    const p = sum.pooled;
    values.push({
      row: POOLED_ROW,
      order: settings.length + 1,
      window: windowName(sum.window, steps),
      w: sum.window,
      delta: p.estimate,
      lo: p.ci[0],
      hi: p.ci[1],
      piLo: p.predictionInterval?.[0] ?? null,
      piHi: p.predictionInterval?.[1] ?? null,
      verdict: verdictOf(p.ci),
      kind: "pooled",
    });
  }
  const y = {
    field: "row",
    type: "nominal",
    title: null,
    sort: { field: "order", op: "min" },
    axis: { labelLimit: 360 },
  };
  return {
    $schema: SCHEMA,
    title: {
      text: "Gain of the FTLEs over the early loss, per setting",
      subtitle: [
        "gain = CV AUC(FTLE spectrum + early loss) - CV AUC(early loss alone); bars: bootstrap 95% intervals",
        "last row: random-effects pooled gain (diamond, 95% CI) and the prediction interval for a new setting (thin)",
      ],
    },
    data: { values },
    facet: { column: { field: "window", type: "nominal", title: null, sort: BY_WINDOW } },
    spec: {
      width: 220,
      height: { step: 13 },
      layer: [
        { mark: { type: "rule", color: "#999" }, encoding: { x: { datum: 0 } } },
        {
          transform: [{ filter: "datum.kind === 'pooled' && datum.piLo !== null" }],
          mark: { type: "rule", strokeWidth: 1, color: "#333" },
          encoding: { y, x: { field: "piLo", type: "quantitative" }, x2: { field: "piHi" } },
        },
        {
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            y,
            x: { field: "lo", type: "quantitative", title: "gain in AUC" },
            x2: { field: "hi" },
            color: { field: "verdict", type: "nominal", scale: VERDICT_COLORS, title: "95% interval" },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'setting'" }],
          mark: { type: "point", filled: true, size: 30, shape: "circle" },
          encoding: {
            y,
            x: { field: "delta", type: "quantitative" },
            color: { field: "verdict", type: "nominal", scale: VERDICT_COLORS },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'pooled'" }],
          mark: { type: "point", filled: true, size: 160, shape: "diamond" },
          encoding: {
            y,
            x: { field: "delta", type: "quantitative" },
            color: { field: "verdict", type: "nominal", scale: VERDICT_COLORS },
          },
        },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export function aucSpec(settings: readonly SettingResult[], steps?: number): TopLevelSpec {
  const values = settings.flatMap((s) =>
    s.windows.flatMap((w) =>
      w.auc && w.gain
        ? [
            {
              setting: s.label,
              activation: String(s.params["network.activation"] ?? "–"),
              window: windowName(w.window, steps),
              w: w.window,
              loss: w.auc.loss.auc,
              spectrum: w.auc.spectrum.auc,
              combined: w.auc.combined.auc,
              verdict: w.gain.verdict,
            },
          ]
        : [],
    ),
  );
  // One square domain for both axes, from the lowest AUC shown (rounded down to 0.1) to 1.
  const low = Math.min(0.5, ...values.flatMap((v) => [v.loss, v.combined]));
  const domain = [Math.floor(low * 10) / 10, 1];
  const scale = { domain, zero: false };
  return {
    $schema: SCHEMA,
    title: {
      text: "Cross-validated AUC: early loss alone against FTLE spectrum + early loss",
      subtitle:
        "one point per setting; above the diagonal the FTLEs add to the early loss; colour: the gain's 95% interval",
    },
    data: { values },
    facet: { column: { field: "window", type: "nominal", title: null, sort: BY_WINDOW } },
    spec: {
      width: 220,
      height: 220,
      layer: [
        {
          mark: { type: "rule", color: "#bbb", strokeDash: [4, 4] },
          encoding: {
            x: { datum: domain[0], type: "quantitative", scale },
            y: { datum: domain[0], type: "quantitative", scale },
            x2: { datum: 1 },
            y2: { datum: 1 },
          },
        },
        {
          mark: { type: "point", filled: true, size: 45, opacity: 0.85 },
          encoding: {
            x: { field: "loss", type: "quantitative", title: "AUC, early loss alone", scale },
            y: { field: "combined", type: "quantitative", title: "AUC, FTLE + loss", scale },
            color: { field: "verdict", type: "nominal", scale: VERDICT_COLORS, title: "gain" },
            tooltip: [{ field: "setting" }, { field: "spectrum", title: "AUC, FTLE spectrum alone" }],
          },
        },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export function moderatorSpec(summaries: readonly WindowSummary[], steps?: number): TopLevelSpec {
  const values = summaries.flatMap((sum) =>
    sum.moderators.flatMap((m) =>
      m.analysis.groups.map((g, order) => ({
        factor: m.factor,
        window: windowName(sum.window, steps),
        w: sum.window,
        level: g.name,
        order,
        k: g.summary.k,
        estimate: g.summary.estimate,
        lo: g.summary.ci[0],
        hi: g.summary.ci[1],
        pBetween: m.analysis.p,
      })),
    ),
  );
  const factors = [...new Set(values.map((v) => v.factor))];
  const y = { field: "level", type: "nominal", sort: { field: "order", op: "min" }, title: null };
  // One chart per factor (its own levels on y), stacked; the windows side by side within each.
  return {
    $schema: SCHEMA,
    title: {
      text: "Pooled gain per level of each factor of the design",
      subtitle:
        "random-effects summary of the settings at that level (95% CI); the test of differences between levels (Q_between) is in the report's table",
    },
    data: { values },
    vconcat: factors.map((factor) => ({
      transform: [{ filter: { field: "factor", equal: factor } }],
      facet: {
        column: {
          field: "window",
          type: "nominal",
          title: null,
          sort: BY_WINDOW,
          header: factor === factors[0] ? {} : { labels: false },
        },
      },
      title: { text: factor, anchor: "start", fontSize: 12 },
      spec: {
        width: 220,
        height: { step: 18 },
        layer: [
          { mark: { type: "rule", color: "#999" }, encoding: { x: { datum: 0, type: "quantitative" } } },
          {
            mark: { type: "rule", strokeWidth: 2, color: "#4c78a8" },
            encoding: { y, x: { field: "lo", type: "quantitative", title: "pooled gain in AUC" }, x2: { field: "hi" } },
          },
          {
            mark: { type: "point", filled: true, size: 40, color: "#4c78a8" },
            encoding: { y, x: { field: "estimate", type: "quantitative" }, tooltip: [{ field: "k" }] },
          },
        ],
      },
    })),
    resolve: { scale: { x: "shared" } },
    config: CONFIG,
  } as TopLevelSpec;
}

export function bimodalitySpec(
  settings: readonly SettingResult[],
  summaries: readonly WindowSummary[],
  steps?: number,
): TopLevelSpec {
  const points = settings.flatMap((s) =>
    s.bimodality === null
      ? []
      : s.windows.flatMap((w) =>
          w.gain
            ? [
                {
                  setting: s.label,
                  activation: String(s.params["network.activation"] ?? "–"),
                  window: windowName(w.window, steps),
                  w: w.window,
                  bimodality: s.bimodality,
                  delta: w.gain.delta,
                  lo: w.gain.ci[0],
                  hi: w.gain.ci[1],
                },
              ]
            : [],
        ),
  );
  const bcs = points.map((p) => p.bimodality as number);
  const [x0, x1] = bcs.length > 0 ? [Math.min(...bcs), Math.max(...bcs)] : [0, 1];
  const lines = summaries.flatMap((sum) => {
    const r = sum.bimodality?.regression;
    if (!r) return [];
    const [b0, b1] = r.coefficients.map((c) => c.estimate);
    return [x0, x1].map((x) => ({
      window: windowName(sum.window, steps),
      w: sum.window,
      bimodality: x,
      delta: b0 + b1 * x,
    }));
  });
  return {
    $schema: SCHEMA,
    title: {
      text: "Gain against the bimodality of the final loss",
      subtitle: `Sarle's coefficient of log10 c_f per setting (dashed: ${BIMODALITY_THRESHOLD.toFixed(3)}, a uniform distribution; above suggests groups); line: random-effects meta-regression`,
    },
    facet: { column: { field: "window", type: "nominal", title: null, sort: BY_WINDOW } },
    data: { values: [...points.map((p) => ({ ...p, kind: "setting" })), ...lines.map((l) => ({ ...l, kind: "fit" }))] },
    spec: {
      width: 220,
      height: 220,
      layer: [
        { mark: { type: "rule", color: "#999" }, encoding: { y: { datum: 0 } } },
        { mark: { type: "rule", color: "#999", strokeDash: [4, 4] }, encoding: { x: { datum: BIMODALITY_THRESHOLD } } },
        {
          transform: [{ filter: "datum.kind === 'setting'" }],
          mark: { type: "rule", opacity: 0.5 },
          encoding: {
            x: { field: "bimodality", type: "quantitative" },
            y: { field: "lo", type: "quantitative" },
            y2: { field: "hi" },
            color: { field: "activation", type: "nominal", title: "activation" },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'setting'" }],
          mark: { type: "point", filled: true, size: 35 },
          encoding: {
            x: { field: "bimodality", type: "quantitative", title: "bimodality coefficient of log10 c_f" },
            y: { field: "delta", type: "quantitative", title: "gain in AUC" },
            color: { field: "activation", type: "nominal" },
            tooltip: [{ field: "setting" }],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'fit'" }],
          mark: { type: "line", color: "#333" },
          encoding: { x: { field: "bimodality", type: "quantitative" }, y: { field: "delta", type: "quantitative" } },
        },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** One run's loss curve for the small multiples. */
export interface LossCurve {
  setting: string;
  order: number;
  run: number;
  label: 0 | 1;
  /** [t, C(w_t)] at the recorded checkpoints (null past a divergence). */
  points: [number, number | null][];
}

export function lossCurvesSpec(curves: readonly LossCurve[], columns = 8): TopLevelSpec {
  let clamped = 0;
  const values = curves.flatMap((c) =>
    c.points.flatMap(([t, loss]) => {
      if (loss === null || !Number.isFinite(loss)) return [];
      const v = clampLoss(loss);
      if (v.clamped) clamped++;
      return [{ setting: c.setting, order: c.order, run: c.run, outcome: className(c.label), step: t, loss: v.value }];
    }),
  );
  return {
    $schema: SCHEMA,
    title: {
      text: "Loss curves per setting, coloured by the run's label",
      subtitle: [
        "a sample of runs of each class per setting, at the recorded loss checkpoints; the label uses the setting's own threshold",
        `log axes, each panel its own range (the settings' losses lie decades apart); ${clamped} point(s) below ${LOSS_FLOOR.toExponential(0)} drawn at ${LOSS_FLOOR.toExponential(0)}`,
      ],
    },
    data: { values },
    facet: {
      field: "setting",
      type: "nominal",
      title: null,
      sort: { field: "order", op: "min" },
      header: { labelFontSize: 9 },
    },
    columns,
    spec: {
      width: 150,
      height: 100,
      mark: { type: "line", strokeWidth: 0.8, opacity: 0.55 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step", axis: { tickCount: 3 } },
        y: {
          field: "loss",
          type: "quantitative",
          title: "loss",
          scale: { type: "log" },
          axis: { tickCount: 4, format: ".0e" },
        },
        color: { field: "outcome", type: "nominal", scale: CLASS_COLORS, title: null, legend: { orient: "top" } },
        detail: { field: "run", type: "quantitative" },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}
