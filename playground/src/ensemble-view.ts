/**
 * The ensemble view: one point per run, the largest early FTLE (over steps [0, e)) against the final loss c_f, coloured
 * by outcome: high or low final loss by `weightdyn predict`'s label rule (the largest gap in log10 c_f when it is wide
 * and balanced enough, else the median; src/predict/labels.ts), recomputed as the runs come in. Diverged runs are
 * high by that rule and have no c_f to draw: the caption counts them.
 */

import type { RunRecord } from "../../src/predict/input.js";
import { computeThreshold, finalLossOf, labelOf, type Threshold } from "../../src/predict/labels.js";
import { Chart } from "./charts.js";
import type { Member } from "./protocol.js";

const LOW = "#1f77b4";
const HIGH = "#e6550d";

export class EnsembleView {
  readonly members: Member[] = [];
  readonly chart: Chart;
  private pending = false;

  constructor(
    private readonly caption: HTMLElement,
    chartEl: HTMLElement,
  ) {
    this.chart = new Chart(chartEl, {
      title: "Early FTLE against final loss, one point per run",
      x: "largest early FTLE",
      y: "final loss c_f",
      logY: true,
      legend: true,
      height: 320,
    });
  }

  start(): void {
    this.members.length = 0;
    this.chart.clear();
    this.caption.textContent = "";
  }

  add(m: Member): void {
    this.members.push(m);
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  /** The threshold of the label rule over the runs so far (null with fewer than two converged runs). */
  threshold(): Threshold | null {
    const log10s = this.members
      .map((m) => finalLossOf(m as unknown as RunRecord).log10)
      .filter((v): v is number => v !== null);
    return log10s.length >= 2 ? computeThreshold(log10s, { split: "gap" }) : null;
  }

  draw(): void {
    const t = this.threshold();
    const drawn = this.members
      .filter((m) => m.earlyMax !== null && m.finalLoss !== null && m.finalLoss > 0)
      .sort((a, b) => (a.earlyMax as number) - (b.earlyMax as number));
    const label = (m: Member) => (t ? labelOf(finalLossOf(m as unknown as RunRecord).log10, t) : 0);
    this.chart.set(
      [
        { label: "low final loss", color: LOW, points: true },
        { label: "high final loss", color: HIGH, points: true },
      ],
      drawn.map((m) => m.earlyMax as number),
      [
        drawn.map((m) => (label(m) === 0 ? m.finalLoss : null)),
        drawn.map((m) => (label(m) === 1 ? m.finalLoss : null)),
      ],
    );
    const diverged = this.members.filter((m) => m.diverged).length;
    const high = this.members.filter((m) => t !== null && label(m) === 1).length;
    const rule = t
      ? `split at c_f = ${t.finalLoss.toPrecision(3)} (${t.rule === "gap" ? "the largest gap in log10 c_f" : `the median${t.fallback ? `: ${t.fallback}` : ""}`})`
      : "too few converged runs to split";
    this.caption.textContent = `${this.members.length} runs: ${high} high, ${this.members.length - high} low; ${diverged} diverged (high, not drawn); ${rule}.`;
  }
}
