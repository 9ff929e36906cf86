/**
 * Accumulates the log-diagonals of successive QR factors into Lyapunov exponents, running estimates and
 * finite-time exponents over consecutive windows.
 *
 * With Q_{n+1} R_{n+1} = J^{(m)} Q_n after every m steps, the exponents over T steps are
 *   lambda_j = (1/T) sum_n log R_{n,jj}                                   (Benettin et al. 1980; Shimada & Nagashima 1979)
 * and the FTLE of window [s, s + W) is the same sum restricted to the QRs that fall in that window, divided by W.
 * Exponents are in natural log per gradient step.
 */
export interface FtleWindows {
  /** Window length W in steps. */
  window: number;
  /** First step of each window. */
  starts: number[];
  /** windows x k, row-major. */
  values: Float64Array;
}

export interface RunningEstimates {
  /** Steps (after the transient) at which each estimate was taken. */
  steps: number[];
  /** estimates x k, row-major: (1/T) sum of log R over the first T measured steps. */
  values: Float64Array;
}

export class LogRAccumulator {
  private readonly total: Float64Array;
  private readonly windowSum: Float64Array;
  private measured = 0;
  private inWindow = 0;
  private readonly starts: number[] = [];
  private readonly ftle: number[] = [];
  private readonly runSteps: number[] = [];
  private readonly running: number[] = [];

  /**
   * @param k number of exponents
   * @param qrEvery steps between QRs (m)
   * @param window FTLE window W in steps (a multiple of m)
   * @param startStep the step at which measurement starts (the end of the transient)
   */
  constructor(
    readonly k: number,
    readonly qrEvery: number,
    readonly window: number,
    readonly startStep: number,
  ) {
    this.total = new Float64Array(k);
    this.windowSum = new Float64Array(k);
  }

  /** Adds nQr consecutive QRs (logRDiag: nQr x k, row-major). */
  add(logRDiag: Float64Array, nQr: number): void {
    const k = this.k;
    for (let q = 0; q < nQr; q++) {
      for (let j = 0; j < k; j++) {
        const v = logRDiag[q * k + j];
        this.total[j] += v;
        this.windowSum[j] += v;
      }
      this.measured += this.qrEvery;
      this.inWindow += this.qrEvery;
      if (this.inWindow === this.window) {
        this.starts.push(this.startStep + this.measured - this.window);
        for (let j = 0; j < k; j++) this.ftle.push(this.windowSum[j] / this.window);
        this.runSteps.push(this.measured);
        for (let j = 0; j < k; j++) this.running.push(this.total[j] / this.measured);
        this.windowSum.fill(0);
        this.inWindow = 0;
      }
    }
  }

  /** Steps measured so far. */
  get steps(): number {
    return this.measured;
  }
  /** Exponents over all measured steps (NaN before the first QR). */
  exponents(): Float64Array {
    return this.total.map((s) => s / this.measured);
  }
  /** Complete windows only; a trailing partial window is not reported. */
  windows(): FtleWindows {
    return { window: this.window, starts: this.starts.slice(), values: Float64Array.from(this.ftle) };
  }
  /** Running estimates at the end of each complete window. */
  runningEstimates(): RunningEstimates {
    return { steps: this.runSteps.slice(), values: Float64Array.from(this.running) };
  }
}
