/**
 * The figures of the predict report as vega-lite specs, and their headless rendering to SVG and PNG.
 *
 *   histogramSpec(report)   log10 c_f per activation, with the labelling threshold
 *   scatterSpec(report)     early FTLE max against c_f (log scale), coloured by activation, one panel per window
 *   rocSpec(report)         ROC curves of the best FTLE indicator and of the early loss, per scope and window
 *   timeSeriesSpec(series)  FTLE time series next to the loss curves of a few rerun runs
 *   renderFigure(spec)      -> { svg, png }: vega-lite compile -> vega View (renderer "none") -> toSVG -> resvg PNG
 *   new FigureWriter(out)   renders specs into OUT/figures and collects the report's figure sections
 *
 * This is the one module that loads the plotting stack (vega, vega-lite, resvg); the spec builders elsewhere
 * (figure-style.ts and the *figures.ts modules) import only vega-lite's types.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../io/atomic.js";
import type { PredictionReport } from "./types.js";

/** A font every figure names, with resvg's system-font fallback for the PNG copies. */
const FONT = "DejaVu Sans";
const CONFIG = { font: FONT, background: "white", view: { stroke: "#ccc" } } as const;
const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "-");

/** One rerun run's curves (rerun.ts). */
export interface RunSeries {
  label: string;
  /** [step, loss] pairs (downsampled). */
  loss: [number, number][];
  /** [window start, FTLE 1, FTLE 2, ...] rows. */
  ftle: number[][];
}

export function histogramSpec(report: PredictionReport): TopLevelSpec {
  const values = report.runs
    .filter((r) => r.log10FinalLoss !== null)
    .map((r) => ({
      activation: r.group,
      log10cf: r.log10FinalLoss,
      threshold: report.labelling.perGroup[r.group]?.log10 ?? null,
    }));
  const diverged = report.groups.map((g) => `${g.name} ${g.diverged}`).join(", ");
  return {
    $schema: SCHEMA,
    title: {
      text: "Final loss per activation",
      subtitle: `red: labelling threshold; diverged runs not shown (${diverged})`,
    },
    data: { values },
    facet: { row: { field: "activation", type: "nominal", title: null } },
    spec: {
      width: 480,
      height: 110,
      layer: [
        {
          mark: { type: "bar", color: "#4c78a8" },
          encoding: {
            x: { field: "log10cf", type: "quantitative", bin: { maxbins: 50 }, title: "log10 final loss c_f" },
            y: { aggregate: "count", type: "quantitative", title: "runs" },
          },
        },
        {
          mark: { type: "rule", color: "#e45756", strokeWidth: 2 },
          encoding: { x: { aggregate: "min", field: "threshold", type: "quantitative" } },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}

export function scatterSpec(report: PredictionReport): TopLevelSpec {
  const values = report.runs.flatMap((r) => {
    const log10 = r.log10FinalLoss;
    if (log10 === null) return [];
    return report.windows.flatMap((w) => {
      const m = r.earlyMax[String(w)];
      return m === null || m === undefined
        ? []
        : [{ activation: r.group, panel: `early window e = ${w}`, ftleMax: m, finalLoss: 10 ** log10 }];
    });
  });
  return {
    $schema: SCHEMA,
    title: { text: "Early FTLE max against the final loss", subtitle: "converged runs only" },
    data: { values },
    facet: { column: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: 300,
      height: 260,
      mark: { type: "point", filled: true, size: 18, opacity: 0.6 },
      encoding: {
        x: { field: "ftleMax", type: "quantitative", title: "early FTLE max (per step)", scale: { zero: false } },
        y: { field: "finalLoss", type: "quantitative", scale: { type: "log" }, title: "final loss c_f" },
        color: { field: "activation", type: "nominal", title: "activation" },
      },
    },
    resolve: { scale: { x: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}

export function rocSpec(report: PredictionReport): TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  const panels: string[] = [];
  for (const scope of report.scopes) {
    for (const w of scope.windows) {
      if (!w.bestFtle || !w.roc.bestFtle || !w.roc.loss) continue;
      const loss = w.indicators.find((s) => s.kind === "loss");
      const panel = `${scope.name}, e = ${w.window}: ${w.bestFtle.name} (${w.bestFtle.direction}) ${f3(w.bestFtle.discrimination)}, loss ${f3(loss?.discrimination ?? Number.NaN)}`;
      panels.push(panel);
      const curves: [string, typeof w.roc.loss, number][] = [
        [
          `best FTLE indicator (${w.bestFtle.name}, ${w.bestFtle.direction})`,
          w.roc.bestFtle,
          w.bestFtle.discrimination,
        ],
        [`early loss (${loss?.direction ?? "+"})`, w.roc.loss, loss?.discrimination ?? Number.NaN],
      ];
      for (const [name, curve, auc] of curves) {
        const kind = name.startsWith("early") ? "early loss" : "best FTLE indicator";
        curve.fpr.forEach((fpr, i) => {
          values.push({
            panel,
            curve: kind,
            label: `${name}: AUC ${auc.toFixed(3)}`,
            fpr,
            tpr: curve.tpr[i],
            order: i,
          });
        });
      }
    }
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "ROC curves: best single FTLE indicator vs early loss (in-sample)",
      subtitle: [
        "panel: scope, early window e: best FTLE indicator (direction) AUC, early loss AUC, both as max(AUC, 1 - AUC)",
        "each indicator oriented by its sign; (+): higher => high loss, (-): lower => high loss",
      ],
    },
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels, header: { labelLimit: 0 } },
    columns: Math.max(1, report.windows.length),
    spec: {
      width: 200,
      height: 200,
      layer: [
        {
          mark: { type: "rule", color: "#bbb", strokeDash: [4, 4] },
          encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
        {
          mark: { type: "line", strokeWidth: 2 },
          encoding: {
            x: { field: "fpr", type: "quantitative", title: "false-positive rate", scale: { domain: [0, 1] } },
            y: { field: "tpr", type: "quantitative", title: "true-positive rate", scale: { domain: [0, 1] } },
            color: { field: "curve", type: "nominal", title: null, legend: { orient: "bottom" } },
            order: { field: "order", type: "quantitative" },
            tooltip: { field: "label", type: "nominal" },
          },
        },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export function timeSeriesSpec(series: readonly RunSeries[], earlyWindows: readonly number[]): TopLevelSpec {
  const ftle = series.flatMap((s) => s.ftle.map((row) => ({ run: s.label, step: row[0], lambda1: row[1] })));
  const loss = series.flatMap((s) =>
    s.loss.filter(([, l]) => l > 0).map(([step, l]) => ({ run: s.label, step, loss: l })),
  );
  const rules = earlyWindows.map((e) => ({ e }));
  const color = {
    field: "run",
    type: "nominal",
    title: "run (label, activation, c_f)",
    legend: { orient: "bottom", columns: 2, labelLimit: 0, titleLimit: 0 },
  };
  const early = {
    data: { values: rules },
    mark: { type: "rule", color: "#999", strokeDash: [3, 3] },
    encoding: { x: { field: "e", type: "quantitative" } },
  };
  return {
    $schema: SCHEMA,
    title: { text: "Rerun runs: largest FTLE per window and loss", subtitle: "dashed: the early windows" },
    hconcat: [
      {
        width: 340,
        height: 240,
        layer: [
          early,
          {
            data: { values: ftle },
            mark: { type: "line", point: { size: 12 } },
            encoding: {
              x: { field: "step", type: "quantitative", title: "window start (step)" },
              y: { field: "lambda1", type: "quantitative", title: "largest FTLE of the window (per step)" },
              color,
            },
          },
        ],
      },
      {
        width: 340,
        height: 240,
        layer: [
          early,
          {
            data: { values: loss },
            mark: { type: "line" },
            encoding: {
              x: { field: "step", type: "quantitative", title: "step" },
              y: { field: "loss", type: "quantitative", scale: { type: "log" }, title: "loss C(w_t)" },
              color,
            },
          },
        ],
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Compiles and renders a vega-lite spec headless; the PNG is rasterised by resvg at 2x. */
export async function renderFigure(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      fitTo: { mode: "zoom", value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
    })
      .render()
      .asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}

/** Writes figures into OUT/figures (SVG and PNG) and collects their files and markdown sections, in order. */
export class FigureWriter {
  readonly files: string[] = [];
  readonly sections: string[] = [];
  private readonly dir: string;

  constructor(outDir: string) {
    this.dir = join(outDir, "figures");
    mkdirSync(this.dir, { recursive: true });
  }

  /** Renders `spec` to figures/NAME.svg and .png and adds a "### caption" section linking the PNG. */
  async emit(name: string, caption: string, spec: TopLevelSpec): Promise<void> {
    const { svg, png } = await renderFigure(spec);
    const svgPath = join(this.dir, `${name}.svg`);
    const pngPath = join(this.dir, `${name}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, png);
    this.files.push(svgPath, pngPath);
    this.sections.push(`### ${caption}\n\n![${caption}](figures/${name}.png)\n\n[SVG](figures/${name}.svg)`);
  }

  /** The sections, one after another. */
  markdown(): string {
    return this.sections.join("\n\n");
  }
}
