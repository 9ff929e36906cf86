/**
 * The figures of the predict report as vega-lite specs, and their headless rendering to SVG and PNG.
 *
 *   histogramSpec(report)   log10 c_f per activation, with the labelling threshold
 *   scatterSpec(report)     early FTLE max against c_f (log scale), coloured by activation, one panel per window
 *   rocSpec(report)         ROC curves of the best FTLE indicator and of the early loss, per scope and window
 *   loadPlotting()          -> the plotting stack, imported on first use (optional packages, src/optional-deps.ts)
 *   renderFigure(spec, stack) -> { svg, png }: vega-lite compile -> vega View (renderer "none") -> toSVG -> resvg PNG
 *   new FigureWriter(out)   renders specs into OUT/figures and collects the report's figure sections
 *
 * This is the one module that loads the plotting stack (vega, vega-lite, resvg), and only dynamically, never at the top
 * level: vega reaches a module with a top-level await (vega-canvas), which would make `require("weightdyn/predict")`
 * fail (ERR_REQUIRE_ASYNC_MODULE), and the three packages are optional peers that many users do not install. The spec
 * builders elsewhere (figure-style.ts and the *figures.ts modules) import only vega-lite's types.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../io/atomic.js";
import { importOptional, MissingDependencyError } from "../optional-deps.js";
import {
  activationFacet,
  CONFIG,
  clampLoss,
  FONT,
  LOSS_FLOOR,
  orderActivations,
  rocFacet,
  rocRows,
  SCHEMA,
} from "./figure-style.js";
import { thinRoc } from "./roc.js";
import type { PredictionReport } from "./types.js";

/** What renderFigure needs of vega, vega-lite and resvg. */
export interface PlottingStack {
  vega: typeof import("vega");
  compile: typeof import("vega-lite").compile;
  Resvg: typeof import("@resvg/resvg-js").Resvg;
}

let plotting: Promise<PlottingStack> | undefined;

/** Imports the plotting stack once; a MissingDependencyError names the packages to install. */
export function loadPlotting(): Promise<PlottingStack> {
  if (!plotting) {
    plotting = importOptional("figures", async () => {
      const [vega, vegaLite, resvg] = await Promise.all([
        import("vega"),
        import("vega-lite"),
        import("@resvg/resvg-js"),
      ]);
      return { vega, compile: vegaLite.compile, Resvg: resvg.Resvg };
    });
    plotting.catch(() => {
      plotting = undefined; // a later call (after an install) tries again
    });
  }
  return plotting;
}

/**
 * The plotting stack when figures are wanted (figures: true, or undefined = if installed) and installed; otherwise
 * null, and why when they were wanted. figures: true fails with the MissingDependencyError instead.
 */
export async function plottingFor(
  figures: boolean | undefined,
): Promise<{ stack: PlottingStack | null; missing: string | null }> {
  if (figures === false) return { stack: null, missing: null };
  try {
    return { stack: await loadPlotting(), missing: null };
  } catch (err) {
    if (figures === true || !(err instanceof MissingDependencyError)) throw err;
    return { stack: null, missing: `Figures were not drawn: ${err.message}` };
  }
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "-");

const FLOOR_LOG10 = Math.log10(LOSS_FLOOR);

export function histogramSpec(report: PredictionReport): TopLevelSpec {
  let clamped = 0;
  const values = report.runs
    .filter((r) => r.log10FinalLoss !== null)
    .map((r) => {
      const log10 = r.log10FinalLoss as number;
      if (log10 < FLOOR_LOG10) clamped++;
      const t = report.labelling.perGroup[r.group]?.log10;
      return {
        activation: r.group,
        log10cf: Math.max(log10, FLOOR_LOG10),
        threshold: t === undefined ? null : Math.max(t, FLOOR_LOG10),
      };
    });
  const diverged = report.groups.map((g) => `${g.name} ${g.diverged}`).join(", ");
  const logs = values.map((v) => v.log10cf);
  const decades = Array.from(
    { length: Math.max(0, Math.ceil(Math.max(...logs, 0)) - Math.floor(Math.min(...logs, 0)) + 1) },
    (_, i) => Math.floor(Math.min(...logs, 0)) + i,
  );
  return {
    $schema: SCHEMA,
    title: {
      text: `Final loss per ${report.groupNoun}`,
      subtitle: [
        `red: labelling threshold; diverged runs not shown (${diverged})`,
        `${clamped} run(s) with c_f below ${LOSS_FLOOR.toExponential(0)} (exact fits) counted in the leftmost bin, at log10 c_f = ${FLOOR_LOG10}`,
      ],
    },
    data: { values },
    facet: { row: activationFacet(report.groups.map((g) => g.name)) },
    spec: {
      width: 480,
      height: 110,
      layer: [
        {
          mark: { type: "bar", color: "#4c78a8" },
          encoding: {
            x: {
              field: "log10cf",
              type: "quantitative",
              bin: { step: 0.1 },
              title: "log10 final loss c_f (bins of 0.1 decades)",
              axis: { values: decades },
            },
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
        : [
            {
              activation: r.group,
              panel: `early window e = ${w}`,
              w,
              ftleMax: m,
              finalLoss: clampLoss(10 ** log10).value,
            },
          ];
    });
  });
  return {
    $schema: SCHEMA,
    title: {
      text: "Early FTLE max against the final loss",
      subtitle: `converged runs only; c_f below ${LOSS_FLOOR.toExponential(0)} drawn at ${LOSS_FLOOR.toExponential(0)}`,
    },
    data: { values },
    facet: { column: { field: "panel", type: "nominal", title: null, sort: { field: "w", op: "min" } } },
    spec: {
      width: 300,
      height: 260,
      mark: { type: "point", filled: true, size: 18, opacity: 0.6 },
      encoding: {
        x: { field: "ftleMax", type: "quantitative", title: "early FTLE max (per step)", scale: { zero: false } },
        y: { field: "finalLoss", type: "quantitative", scale: { type: "log" }, title: "final loss c_f" },
        color: {
          field: "activation",
          type: "nominal",
          title: "activation",
          scale: { domain: orderActivations(report.groups.map((g) => g.name)) },
        },
      },
    },
    resolve: { scale: { x: "independent" } },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * The in-sample ROC curves of every scope and window. report.json keeps every point (one per run: 2001 in a pooled
 * scope of 2000 runs); the figure draws thinRoc of each, as the out-of-fold figure does: points of the curve at least
 * 1 % of the unit square apart, ends kept. Drawing them all made a 2.5 MB SVG that took 4 s to rasterise.
 */
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
        values.push(...rocRows(thinRoc(curve), { panel, curve: kind, label: `${name}: AUC ${auc.toFixed(3)}` }));
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
    ...rocFacet(values, panels, {
      columns: report.windows.length,
      size: 200,
      strokeWidth: 2,
      color: { field: "curve", type: "nominal", title: null, legend: { orient: "bottom" } },
      tooltip: "label",
    }),
    config: CONFIG,
  } as TopLevelSpec;
}

/** Compiles and renders a vega-lite spec headless; the PNG is rasterised by resvg at 2x. */
export async function renderFigure(spec: TopLevelSpec, stack?: PlottingStack): Promise<{ svg: string; png: Buffer }> {
  const { vega, compile, Resvg } = stack ?? (await loadPlotting());
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

  /** stack: the plotting stack when already loaded (else loaded on the first figure). */
  constructor(
    outDir: string,
    private readonly stack?: PlottingStack,
  ) {
    this.dir = join(outDir, "figures");
    mkdirSync(this.dir, { recursive: true });
  }

  /** Renders `spec` to figures/NAME.svg and .png and adds a "### caption" section linking the PNG. */
  async emit(name: string, caption: string, spec: TopLevelSpec): Promise<void> {
    const { svg, png } = await renderFigure(spec, this.stack);
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
