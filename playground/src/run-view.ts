/**
 * The view of one run: the loss curve (log scale), the running exponents, the FTLE spectrum over time and the fitted
 * function while it trains; the final spectrum, the exponents and, when asked for, the CLV angles at the end. The
 * worker's progress messages are gathered here and drawn at most once per animation frame.
 */
import { Chart, positive, ramp, type SeriesStyle, strideIndices } from "./charts.js";
import type { Fit, Progress, RunDone } from "./protocol.js";

/** Most points of a curve drawn (the data are all kept; only the drawing thins them). */
const MAX_POINTS = 1500;

function styles(k: number, prefix: string): SeriesStyle[] {
  return Array.from({ length: k }, (_, j) => ({ label: `${prefix}${j + 1}`, color: ramp(j, k), width: 1.2 }));
}

/** Column j of a rows x k row-major table at the given rows. */
function column(values: ArrayLike<number>, k: number, j: number, rows: number[]): (number | null)[] {
  return rows.map((r) => (Number.isFinite(values[r * k + j]) ? values[r * k + j] : null));
}

export class RunView {
  private losses: number[] = [];
  private k = 0;
  private starts: number[] = [];
  private ftle: number[] = [];
  private runningSteps: number[] = [];
  private running: number[] = [];
  private fit: Fit | null = null;
  private data: { X: Float64Array; Y: Float64Array; inputs: number; outputs: number } | null = null;
  private pending = false;
  readonly charts: Record<"loss" | "fit" | "running" | "ftle" | "spectrum" | "clv", Chart>;

  constructor(private readonly doc: Document) {
    const el = (id: string) => doc.getElementById(id) as HTMLElement;
    this.charts = {
      loss: new Chart(el("chart-loss"), { title: "Loss C(w_t)", x: "step", y: "loss", logY: true }),
      fit: new Chart(el("chart-fit"), { title: "Fit", x: "x", y: "y", legend: true }),
      running: new Chart(el("chart-running"), { title: "Running exponents", x: "measured steps", y: "λ_j" }),
      ftle: new Chart(el("chart-ftle"), { title: "FTLE spectrum over time", x: "window start", y: "FTLE" }),
      spectrum: new Chart(el("chart-spectrum"), { title: "Final spectrum", x: "j", y: "λ_j" }),
      clv: new Chart(el("chart-clv"), { title: "CLV angles", x: "step", y: "degrees", legend: true }),
    };
  }

  /** A new run on data X, Y: everything cleared. */
  start(data: { X: Float64Array; Y: Float64Array; inputs: number; outputs: number }): void {
    this.losses = [];
    this.k = 0;
    this.starts = [];
    this.ftle = [];
    this.runningSteps = [];
    this.running = [];
    this.fit = null;
    this.data = data;
    for (const chart of Object.values(this.charts)) chart.clear();
    this.doc.querySelector("#exponents tbody")?.replaceChildren();
  }

  progress(p: Progress): void {
    this.losses.length = p.lossFrom;
    for (const v of p.losses) this.losses.push(v);
    this.k = p.k;
    for (const s of p.starts) this.starts.push(s);
    for (const v of p.ftle) this.ftle.push(v);
    for (const s of p.runningSteps) this.runningSteps.push(s);
    for (const v of p.running) this.running.push(v);
    this.fit = p.fit;
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  private draw(): void {
    const L = this.losses.length;
    const rows = strideIndices(L, MAX_POINTS);
    this.charts.loss.set([{ label: "C(w_t)", color: "#1f5fa8" }], rows, [rows.map((t) => positive(this.losses[t]))]);
    const k = this.k;
    if (k > 0 && this.runningSteps.length > 0) {
      const r = strideIndices(this.runningSteps.length, MAX_POINTS);
      const x = r.map((i) => this.runningSteps[i]);
      this.charts.running.set(
        styles(k, "λ"),
        x,
        Array.from({ length: k }, (_, j) => column(this.running, k, j, r)),
      );
      const xs = r.map((i) => this.starts[i]);
      this.charts.ftle.set(
        styles(k, "FTLE "),
        xs,
        Array.from({ length: k }, (_, j) => column(this.ftle, k, j, r)),
      );
    }
    this.drawFit();
  }

  private drawFit(): void {
    const d = this.data;
    const fit = this.fit;
    if (!d || !fit) return;
    const o = d.outputs;
    if (d.inputs === 1) {
      // The fitted curve on its grid and the samples, on one x axis (each series null where the other has a point).
      const pts = [
        ...Array.from(fit.x, (x, i) => ({ x, i, data: false })),
        ...Array.from(d.X, (x, i) => ({ x, i, data: true })),
      ].sort((a, b) => a.x - b.x);
      const ys: (number | null)[][] = [];
      const st: SeriesStyle[] = [];
      for (let m = 0; m < o; m++) {
        ys.push(pts.map((p) => (p.data ? d.Y[p.i * o + m] : null)));
        st.push({ label: o === 1 ? "data" : `data ${m + 1}`, color: "#888", points: true });
        ys.push(pts.map((p) => (p.data ? null : fit.f[p.i * o + m])));
        st.push({ label: o === 1 ? "network" : `network ${m + 1}`, color: ramp(m, Math.max(o, 2)), width: 2 });
      }
      this.charts.fit.set(
        st,
        pts.map((p) => p.x),
        ys,
      );
      return;
    }
    // Several inputs: the network's output against the target, one point per sample, and the diagonal.
    const order = Array.from({ length: d.Y.length }, (_, q) => q).sort((a, b) => d.Y[a] - d.Y[b]);
    this.charts.fit.set(
      [
        { label: "network vs target", color: "#1f5fa8", points: true },
        { label: "y = x", color: "#aaa", dash: [4, 4] },
      ],
      order.map((q) => d.Y[q]),
      [order.map((q) => fit.f[q]), order.map((q) => d.Y[q])],
    );
  }

  /** The end of a run: the final fit and spectrum, the exponents (exact, in data-value), the CLV angles. */
  done(r: RunDone): void {
    if (r.fit) this.fit = r.fit;
    this.draw();
    const k = r.exponents.length;
    if (k > 0) {
      const j = Array.from({ length: k }, (_, i) => i + 1);
      this.charts.spectrum.set(
        [
          { label: "λ_j", color: "#1f5fa8", points: true },
          { label: "0", color: "#bbb", dash: [3, 3] },
        ],
        j,
        [r.exponents.map((v) => (Number.isFinite(v) ? v : null)), j.map(() => 0)],
      );
    }
    const body = this.doc.querySelector("#exponents tbody") as HTMLElement;
    body.replaceChildren(
      ...r.exponents.map((v, i) => {
        const tr = this.doc.createElement("tr");
        const th = this.doc.createElement("th");
        th.textContent = `λ${i + 1}`;
        const td = this.doc.createElement("td");
        td.textContent = !Number.isFinite(v)
          ? String(v)
          : v !== 0 && Math.abs(v) < 1e-3
            ? v.toExponential(4)
            : v.toPrecision(5);
        // The exact value (the shortest decimal that reads back to the same float64), as in summary.json.
        td.dataset.value = String(v);
        tr.append(th, td);
        return tr;
      }),
    );
    if (r.clvAngles) {
      const { header, values } = r.clvAngles;
      const c = header.length;
      const T = values.length / c;
      const rows = Array.from({ length: T }, (_, i) => i);
      const angleCols = header.slice(1);
      this.charts.clv.set(
        angleCols.map((h, a) => ({
          label: h.replace(/^angle_/, "θ ").replace(/^min_angle_first_/, "min ∠ first "),
          color: ramp(a, Math.max(angleCols.length, 2)),
        })),
        rows.map((i) => values[i * c]),
        angleCols.map((_, a) => rows.map((i) => (values[i * c + a + 1] * 180) / Math.PI)),
      );
    }
  }

  resize(): void {
    for (const chart of Object.values(this.charts)) chart.resize();
  }
}
