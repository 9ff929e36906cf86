/**
 * The early windows of a run's record (record.ts): the exact FTLE spectrum over steps [0, e) from the log R_jj of every
 * QR, and its summaries.
 */
import { jsonNumber } from "../run-summary.js";
import type { EarlyWindow } from "./record.js";

/** Sums log R_jj over the QRs of every chunk and takes a snapshot at the end of each early window. */
export class EarlyAccumulator {
  private readonly sums: Float64Array;
  private next = 0;
  readonly ftle: (Float64Array | null)[];

  constructor(
    private readonly k: number,
    private readonly qrEvery: number,
    private readonly windows: readonly number[],
  ) {
    this.sums = new Float64Array(k);
    this.ftle = windows.map(() => null);
  }

  /** onChunk: logRDiag holds nQr x k values of the QRs ending at start + qrEvery, start + 2 qrEvery, ... */
  add(start: number, logRDiag: Float64Array): void {
    const k = this.k;
    if (k === 0) return;
    const nQr = logRDiag.length / k;
    for (let q = 0; q < nQr && this.next < this.windows.length; q++) {
      for (let j = 0; j < k; j++) this.sums[j] += logRDiag[q * k + j];
      const end = start + (q + 1) * this.qrEvery;
      // Windows are multiples of qrEvery (parseStudy), so a QR ends exactly at each of them.
      while (this.next < this.windows.length && this.windows[this.next] <= end) {
        const e = this.windows[this.next];
        if (e === end) this.ftle[this.next] = this.sums.map((s) => s / e);
        this.next++;
      }
    }
  }
}

/** The record of an early window from its FTLE spectrum (null when not reached) and the loss at its end. */
export function earlyWindow(window: number, ftle: Float64Array | null, loss: number): EarlyWindow {
  const values = ftle === null ? null : Array.from(ftle, jsonNumber);
  // The summaries need every exponent: one non-finite value (a run diverging at the window's end) makes them null.
  if (values === null || values.includes(null)) {
    return { window, ftle: values, max: null, sum: null, positive: null, loss: jsonNumber(loss) };
  }
  const finite = values as number[];
  return {
    window,
    ftle: finite,
    max: finite.length > 0 ? Math.max(...finite) : null,
    sum: finite.reduce((a, b) => a + b, 0),
    positive: finite.filter((v) => v > 0).length,
    loss: jsonNumber(loss),
  };
}
