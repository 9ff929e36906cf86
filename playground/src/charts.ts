/**
 * The page's charts, on uPlot (MIT, one small dependency drawing on canvas): line charts of one x against many
 * series, optionally with a log-scaled y axis, and scatter series (points only). A chart is re-created when its
 * number of series changes and otherwise only gets new data, which uPlot redraws cheaply.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface SeriesStyle {
  label: string;
  color: string;
  /** Points only (a scatter series); default: a line. */
  points?: boolean;
  width?: number;
  dash?: number[];
}

export interface ChartOptions {
  title: string;
  x: string;
  y: string;
  logY?: boolean;
  legend?: boolean;
  height?: number;
}

/** Colour j of n along a blue-to-orange ramp (exponent 1 blue, the last orange). */
export function ramp(j: number, n: number): string {
  const t = n <= 1 ? 0 : j / (n - 1);
  return `hsl(${Math.round(215 - 185 * t)}, 70%, ${Math.round(42 + 8 * t)}%)`;
}

/** Compact numbers for the axes: 1.2e-5, 0.034, 120. */
function tick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

export class Chart {
  private plot: uPlot | null = null;
  private styles: SeriesStyle[] = [];

  constructor(
    private readonly el: HTMLElement,
    private readonly options: ChartOptions,
  ) {
    this.el.classList.add("chart");
    this.el.dataset.empty = "true";
  }

  private width(): number {
    return Math.max(240, this.el.clientWidth || 400);
  }

  private create(styles: SeriesStyle[], data: uPlot.AlignedData): void {
    this.plot?.destroy();
    this.styles = styles;
    const o = this.options;
    this.plot = new uPlot(
      {
        title: o.title,
        width: this.width(),
        height: o.height ?? 210,
        legend: { show: o.legend ?? false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: o.logY ? { distr: 3 } : {} },
        axes: [
          { label: o.x, values: (_u, ticks) => ticks.map(tick), size: 36, labelSize: 18 },
          { label: o.y, values: (_u, ticks) => ticks.map(tick), size: 56, labelSize: 18 },
        ],
        series: [
          { label: o.x },
          ...styles.map(
            (s): uPlot.Series => ({
              label: s.label,
              stroke: s.color,
              width: s.points ? 0 : (s.width ?? 1.5),
              dash: s.dash,
              ...(s.points
                ? { paths: () => null, points: { show: true, size: 6, space: 0, fill: s.color, stroke: s.color } }
                : { points: { show: false } }),
            }),
          ),
        ],
      },
      data,
      this.el,
    );
  }

  /** New data: x ascending, one array per series (null: no point). */
  set(styles: SeriesStyle[], x: ArrayLike<number>, ys: ArrayLike<number | null>[]): void {
    const data = [Array.from(x), ...ys.map((y) => Array.from(y))] as uPlot.AlignedData;
    this.el.dataset.empty = x.length === 0 ? "true" : "false";
    const same =
      this.plot !== null &&
      styles.length === this.styles.length &&
      styles.every((s, i) => s.label === this.styles[i].label && s.color === this.styles[i].color);
    if (same) this.plot?.setData(data);
    else this.create(styles, data);
  }

  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.styles = [];
    this.el.dataset.empty = "true";
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: this.options.height ?? 210 });
  }
}

/** For a log axis: a loss that is not positive and finite has no point. */
export function positive(v: number): number | null {
  return Number.isFinite(v) && v > 0 ? v : null;
}

/** Every stride-th index so that at most `max` points are drawn, the last one always included. */
export function strideIndices(n: number, max: number): number[] {
  const stride = Math.max(1, Math.ceil(n / max));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  if (n > 0 && out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}
