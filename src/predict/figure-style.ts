/**
 * What every figure shares, without the plotting stack (vega, resvg), so that the modules that build vega-lite specs
 * can be loaded without it and only plots.ts (renderFigure) loads it.
 *
 *   SCHEMA, CONFIG, FONT                      the spec's schema, the font, the background and view style
 *   LOSS_FLOOR, clampLoss(loss)              losses below 1e-12 are drawn at 1e-12 (log axes; see below)
 *   ACTIVATION_ORDER, orderActivations(xs)   facets of activations in one fixed order
 *   CLASS_COLORS                              low / high final loss (and diverged) in the same colours everywhere
 *
 * The floor: gradient descent can fit a task exactly, and such runs end at c_f ~ 1e-30; on a log axis they squeeze
 * every other run into a sliver. Losses below LOSS_FLOOR are drawn at it, and every figure that clamps says so in its
 * subtitle (with how many values were clamped). 1e-12 is far below every loss that differs from an exact fit in the
 * settings of this project (the groups of the default study lie at 1e-3 and above).
 */
import { ACTIVATION_NAMES } from "../backend/types.js";

export const FONT = "DejaVu Sans";
export const CONFIG = { font: FONT, background: "white", view: { stroke: "#ccc" } } as const;
export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export const LOSS_FLOOR = 1e-12;

/** max(loss, LOSS_FLOOR), and whether it was clamped. */
export function clampLoss(loss: number): { value: number; clamped: boolean } {
  return loss < LOSS_FLOOR ? { value: LOSS_FLOOR, clamped: true } : { value: loss, clamped: false };
}

/** The activations in the order of the activation table (identity, tanh, sigmoid, relu, ...), unknown ones last. */
export const ACTIVATION_ORDER: readonly string[] = ACTIVATION_NAMES;

export function orderActivations(names: Iterable<string>): string[] {
  const rank = (n: string) => {
    const i = ACTIVATION_ORDER.indexOf(n);
    return i < 0 ? ACTIVATION_ORDER.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Class names as the figures show them, in legend order, and their colours. */
export const CLASS_NAMES = ["low final loss", "high final loss"] as const;
export const CLASS_COLORS = { domain: [...CLASS_NAMES], range: ["#4c78a8", "#e45756"] };

export const className = (label: 0 | 1) => CLASS_NAMES[label];

/**
 * A symmetric-log axis for exponents that span decades on both sides of zero (a few large negative exponents would
 * squeeze the small ones into a line on a linear axis): linear within +-c, logarithmic beyond, with c the power of
 * ten nearest the median |value| (vega's "symlog" scale).
 */
export function symlogScale(values: readonly number[]): { type: "symlog"; constant: number } {
  const mags = values
    .filter((v) => Number.isFinite(v) && v !== 0)
    .map(Math.abs)
    .sort((a, b) => a - b);
  const median = mags.length === 0 ? 1 : mags[Math.floor(mags.length / 2)];
  return { type: "symlog", constant: 10 ** Math.round(Math.log10(median)) };
}

/** A facet field over activations in the fixed order. */
export function activationFacet(names: Iterable<string>) {
  return { field: "activation", type: "nominal", title: null, sort: orderActivations(names) } as const;
}

/**
 * The frame of ROC figures: one square panel per `panel` value (in the given order, `columns` per row), the
 * chance diagonal, and the curves (fpr, tpr, drawn in `order`) coloured by `color`.
 */
export function rocFacet(
  values: Record<string, unknown>[],
  panels: string[],
  options: { columns: number; size: number; strokeWidth: number; color: Record<string, unknown>; tooltip: string },
) {
  return {
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels, header: { labelLimit: 0 } },
    columns: Math.max(1, options.columns),
    spec: {
      width: options.size,
      height: options.size,
      layer: [
        {
          mark: { type: "rule", color: "#bbb", strokeDash: [4, 4] },
          encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
        {
          mark: { type: "line", strokeWidth: options.strokeWidth },
          encoding: {
            x: { field: "fpr", type: "quantitative", title: "false-positive rate", scale: { domain: [0, 1] } },
            y: { field: "tpr", type: "quantitative", title: "true-positive rate", scale: { domain: [0, 1] } },
            color: options.color,
            order: { field: "order", type: "quantitative" },
            tooltip: { field: options.tooltip, type: "nominal" },
          },
        },
      ],
    },
  };
}

/** The rows of one ROC curve for rocFacet: the given fields plus fpr, tpr and the drawing order. */
export function rocRows(curve: { fpr: number[]; tpr: number[] }, fields: Record<string, unknown>) {
  return curve.fpr.map((fpr, i) => ({ ...fields, fpr, tpr: curve.tpr[i], order: i }));
}
