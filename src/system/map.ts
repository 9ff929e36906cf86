/**
 * A user-supplied discrete map as a TangentSystem: step and Jacobian (or Jacobian-vector product) in TypeScript,
 * QR in the backend's qr_positive kernel. For maps with known answers (Henon, logistic, linear maps) and for people
 * who bring their own dynamical system.
 */
import type { Backend } from "../backend/types.js";
import type { EvolveResult, TangentSystem } from "./types.js";

export interface MapDefinition {
  /** Dimension D of the state. */
  dimension: number;
  /** Writes f(x) to next (x and next never alias). */
  step(x: Float64Array, next: Float64Array, t: number): void;
  /** Writes the Jacobian Df(x) (D x D, row-major) to J. One of jacobian and tangent must be given. */
  jacobian?(x: Float64Array, J: Float64Array, t: number): void;
  /** Writes Df(x) V to out for k vectors (D x k, column-major). Preferred over jacobian when given. */
  tangent?(x: Float64Array, V: Float64Array, k: number, out: Float64Array, t: number): void;
}

export interface MapSystemOptions {
  /** Initial state x_0 (length D). */
  initialState: ArrayLike<number>;
  /** Most tangent vectors to carry (default D). */
  maxK?: number;
}

/** What MapSystem.snapshot returns: opaque to callers. */
export class MapSnapshot {
  constructor(
    readonly owner: MapSystem,
    readonly time: number,
    readonly x: Float64Array,
    readonly Q: Float64Array,
  ) {}
}

export class MapSystem implements TangentSystem {
  readonly dimension: number;
  readonly maxK: number;
  private t = 0;
  private x: Float64Array;
  private next: Float64Array;
  private readonly Q: Float64Array;
  private readonly work: Float64Array;
  private readonly J: Float64Array | null;
  private readonly R: Float64Array;

  constructor(
    private readonly map: MapDefinition,
    private readonly backend: Backend,
    options: MapSystemOptions,
  ) {
    const D = map.dimension;
    if (!Number.isInteger(D) || D < 1)
      throw new RangeError(`weightdyn: expected a positive integer for dimension but received ${D}`);
    if (!map.jacobian && !map.tangent) throw new TypeError("weightdyn: a map needs a jacobian or a tangent function");
    if (options.initialState.length !== D) {
      throw new RangeError(
        `weightdyn: expected initialState to have ${D} elements but it has ${options.initialState.length}`,
      );
    }
    this.dimension = D;
    this.maxK = options.maxK ?? D;
    if (!Number.isInteger(this.maxK) || this.maxK < 0 || this.maxK > D) {
      throw new RangeError(`weightdyn: expected an integer in [0, ${D}] for maxK but received ${this.maxK}`);
    }
    this.x = Float64Array.from(options.initialState);
    this.next = new Float64Array(D);
    this.Q = new Float64Array(D * this.maxK);
    this.work = new Float64Array(D * this.maxK);
    this.J = map.tangent ? null : new Float64Array(D * D);
    this.R = new Float64Array(this.maxK * this.maxK);
  }

  get time(): number {
    return this.t;
  }
  state(): Float64Array {
    return this.x.slice();
  }
  tangent(): Float64Array {
    return this.Q;
  }

  evolve(nSteps: number, k: number, qrEvery: number, logRDiag: Float64Array, rOut: Float64Array | null): EvolveResult {
    const D = this.dimension;
    const Qk = this.Q.subarray(0, D * k);
    const out = this.work.subarray(0, D * k);
    let q = 0;
    for (let s = 0; s < nSteps; s++) {
      if (k > 0) {
        this.applyTangent(Qk, k, out);
        Qk.set(out);
      }
      this.map.step(this.x, this.next, this.t);
      [this.x, this.next] = [this.next, this.x];
      this.t++;
      for (let i = 0; i < D; i++) {
        if (!Number.isFinite(this.x[i])) return { steps: s + 1, diverged: true, reason: "state" };
      }
      if (k > 0 && (s + 1) % qrEvery === 0) {
        for (let i = 0; i < D * k; i++) {
          if (!Number.isFinite(Qk[i])) return { steps: s + 1, diverged: true, reason: "tangent" };
        }
        const R = this.R.subarray(0, k * k);
        const logR = logRDiag.subarray(q * k, q * k + k);
        this.backend.qrPositive(Qk, D, k, R, logR);
        if (rOut) rOut.set(R, q * k * k);
        q++;
      }
    }
    return { steps: nSteps, diverged: false };
  }

  /** A copy of the time, the state and the whole tangent block (D + D * maxK numbers). */
  snapshot(): MapSnapshot {
    return new MapSnapshot(this, this.t, this.x.slice(), this.Q.slice());
  }

  /** Returns to a snapshot of this system; the next steps repeat the original ones exactly. */
  restore(snapshot: unknown): void {
    if (!(snapshot instanceof MapSnapshot) || snapshot.owner !== this) {
      throw new TypeError("weightdyn: MapSystem.restore expects a snapshot taken by snapshot() of the same system");
    }
    this.t = snapshot.time;
    this.x.set(snapshot.x);
    this.Q.set(snapshot.Q);
  }

  private applyTangent(V: Float64Array, k: number, out: Float64Array): void {
    const D = this.dimension;
    if (this.map.tangent) {
      this.map.tangent(this.x, V, k, out, this.t);
      return;
    }
    const J = this.J as Float64Array;
    (this.map.jacobian as NonNullable<MapDefinition["jacobian"]>)(this.x, J, this.t);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += J[i * D + j] * V[c * D + j];
        out[c * D + i] = s;
      }
    }
  }
}
