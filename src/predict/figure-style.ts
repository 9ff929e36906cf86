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
