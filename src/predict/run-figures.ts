/**
 * The figures of one run's directory (`weightdyn report DIR`; src/run-report.ts), as vega-lite specs built from its
 * files: loss.csv, ftle.csv, summary.json (the exponents and their diagnostics) and clv-angles.csv. The specs carry
 * their data inline (`spec.data.values`).
 *
 *   runLossSpec(steps, losses)               the loss over the training (log axis, floored at LOSS_FLOOR)
 *   runFtleSpec(ftle, running)               FTLE of each window, and the running estimates converging, per QR column
 *   runSpectrumSpec(exponents, diagnostics)  the final spectrum, sorted, against its index, with 95% error bars
 *   clvAnglesSpec(table)                     the angles of clv-angles.csv over time, in degrees
 *
 * At most SHOWN_COLUMNS QR columns are drawn (the first ones); the subtitle says so when there are more.
 */
import type { TopLevelSpec } from "vega-lite";
import type { FtleWindows, RunningEstimates } from "../algorithms/ftle.js";
import type { NumericTable } from "../io/csv.js";
import { CONFIG, clampLoss, LOSS_FLOOR, SCHEMA, symlogScale } from "./figure-style.js";

export const SHOWN_COLUMNS = 8;
/** At most this many points of the loss curve are drawn (every n-th step, the last always). */
export const LOSS_POINTS = 2000;

type Values = Record<string, unknown>[];

export function runLossSpec(steps: ArrayLike<number>, losses: ArrayLike<number>): TopLevelSpec {
  const n = losses.length;
  const stride = Math.max(1, Math.ceil(n / LOSS_POINTS));
  let clamped = 0;
  const values: Values = [];
  for (let i = 0; i < n; i++) {
    if (i % stride !== 0 && i !== n - 1) continue;
    if (!Number.isFinite(losses[i])) continue;
    const v = clampLoss(losses[i]);
    if (v.clamped) clamped++;
    values.push({ step: steps[i], loss: v.value });
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Loss over the training",
      subtitle: `${stride === 1 ? "every step" : `one point every ${stride} steps`}; ${clamped} value(s) below ${LOSS_FLOOR.toExponential(0)} drawn at ${LOSS_FLOOR.toExponential(0)}`,
    },
    data: { values },
    width: 480,
    height: 220,
    mark: { type: "line", strokeWidth: 1.2 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "loss", type: "quantitative", title: "loss C(w_t)", scale: { type: "log" }, axis: { format: ".0e" } },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

function columnsNote(k: number): string {
  return k > SHOWN_COLUMNS ? `QR columns 1-${SHOWN_COLUMNS} of ${k}` : `all ${k} QR columns`;
}

/** FTLE windows and running estimates side by side, one line per QR column. */
export function runFtleSpec(ftle: FtleWindows, running: RunningEstimates): TopLevelSpec {
  const W = ftle.starts.length;
  const k = W === 0 ? 0 : ftle.values.length / W;
  const shown = Math.min(k, SHOWN_COLUMNS);
  const windows: Values = [];
  const estimates: Values = [];
  for (let w = 0; w < W; w++) {
    for (let j = 0; j < shown; j++) {
      windows.push({ step: ftle.starts[w], column: j + 1, value: ftle.values[w * k + j] });
    }
  }
  running.steps.forEach((step, e) => {
    for (let j = 0; j < shown; j++) estimates.push({ step, column: j + 1, value: running.values[e * k + j] });
  });
  const color = { field: "column", type: "ordinal", title: "QR column", scale: { scheme: "category10" } };
  const scale = symlogScale([...windows, ...estimates].map((v) => v.value as number));
  const panel = (title: string, values: Values, x: string, y: string, strokeWidth: number) => ({
    title,
    data: { values },
    width: 360,
    height: 240,
    mark: { type: "line", strokeWidth },
    encoding: {
      x: { field: "step", type: "quantitative", title: x },
      y: { field: "value", type: "quantitative", title: y, scale },
      color,
    },
  });
  return {
    $schema: SCHEMA,
    title: {
      text: "FTLEs per window and running estimates of the exponents",
      subtitle: [
        `${columnsNote(k)}; window length ${ftle.window} steps; running estimate: mean over the windows so far`,
        `symmetric-log axes: linear within +-${scale.constant.toExponential(0)}, logarithmic beyond`,
      ],
    },
    hconcat: [
      panel("FTLE of each window", windows, "window start (step)", "FTLE (per step)", 1),
      panel("running estimates converging", estimates, "measured steps", "running exponent (per step)", 1.5),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

export function runSpectrumSpec(
  exponents: readonly number[],
  diagnostics: { sortedColumns: number[]; standardErrors: (number | null)[] } | null,
): TopLevelSpec {
  const order = diagnostics?.sortedColumns ?? exponents.map((_, j) => j).sort((a, b) => exponents[b] - exponents[a]);
  const values = order.map((col, i) => {
    const se = diagnostics?.standardErrors[col] ?? null;
    const x = exponents[col];
    return {
      index: i + 1,
      column: col + 1,
      exponent: x,
      lo: se === null ? null : x - 1.96 * se,
      hi: se === null ? null : x + 1.96 * se,
    };
  });
  const scale = symlogScale(exponents);
  return {
    $schema: SCHEMA,
    title: {
      text: "Final Lyapunov spectrum",
      subtitle: [
        "exponents sorted descending against their index; bars: 1.96 batch-means standard errors (when known)",
        `symmetric-log axis: linear within +-${scale.constant.toExponential(0)}, logarithmic beyond`,
      ],
    },
    data: { values },
    width: 420,
    height: 240,
    layer: [
      { mark: { type: "rule", color: "#999" }, encoding: { y: { datum: 0 } } },
      {
        transform: [{ filter: "datum.lo !== null" }],
        mark: { type: "rule", strokeWidth: 1.5, color: "#4c78a8" },
        encoding: {
          x: { field: "index", type: "quantitative" },
          y: { field: "lo", type: "quantitative", scale },
          y2: { field: "hi" },
        },
      },
      {
        mark: { type: "point", filled: true, size: 40, color: "#4c78a8" },
        encoding: {
          x: { field: "index", type: "quantitative", title: "index (sorted)", axis: { tickMinStep: 1 } },
          y: { field: "exponent", type: "quantitative", title: "exponent (per step)", scale },
          tooltip: [{ field: "column", title: "QR column" }],
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

export function clvAnglesSpec(table: NumericTable): TopLevelSpec {
  const values: Values = [];
  for (let r = 0; r < table.rows; r++) {
    const time = table.values[r * table.cols];
    for (let c = 1; c < table.cols; c++) {
      const rad = table.values[r * table.cols + c];
      if (Number.isFinite(rad)) values.push({ time, angle: table.header[c], degrees: (rad * 180) / Math.PI });
    }
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Angles between covariant Lyapunov vectors over time",
      subtitle: "clv-angles.csv: angle_i_j between CLVs i and j, min_angle_first_p between span(CLV 1..p) and the rest",
    },
    data: { values },
    width: 480,
    height: 220,
    mark: { type: "line", strokeWidth: 1, point: { size: 8 } },
    encoding: {
      x: { field: "time", type: "quantitative", title: "step" },
      y: { field: "degrees", type: "quantitative", title: "angle (degrees)", scale: { domain: [0, 90] } },
      color: { field: "angle", type: "nominal", title: null, sort: table.header.slice(1) },
    },
    config: CONFIG,
  } as TopLevelSpec;
}
