/**
 * Full-batch gradient descent on a three-layer network as a TangentSystem: w_{t+1} = w_t - eta grad C(w_t), with
 * tangent map J_t = I - eta H(w_t). The whole step (update, tangent map, QR) runs in the backend's train_chunk kernel;
 * this class only keeps the loss history and maps the backend's status codes.
 */
import type { Backend, NetworkKernel, NetworkShape } from "../backend/types.js";
import { TangentRoute, type TangentRouteName } from "../backend/types.js";
import type { EvolveResult, TangentSystem } from "./types.js";

export interface NetworkSystemOptions {
  shape: NetworkShape;
  /** Inputs, N x inputs, row-major. */
  X: Float64Array;
  /** Targets, N x outputs, row-major. */
  Y: Float64Array;
  /** Initial weights w_0 in the fixed order (W1, b1, W2, b2). */
  w0: Float64Array;
  /** Learning rate eta > 0. */
  learningRate: number;
  /** Most tangent vectors to carry (default D). */
  maxK?: number;
  /** How the tangent map is applied (default "auto": the cheaper route for the size). */
  tangentRoute?: TangentRouteName;
}

const REASONS = ["", "loss", "weights", "tangent"] as const;

/** A growable float64 log. */
class Float64Log {
  private buf = new Float64Array(1024);
  length = 0;
  /** Appends values[from .. to). */
  push(values: Float64Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.length + n > this.buf.length) {
      const grown = new Float64Array(Math.max(this.buf.length * 2, this.length + n));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(values.subarray(from, to), this.length);
    this.length += n;
  }
  values(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

export class NetworkSystem implements TangentSystem {
  readonly dimension: number;
  readonly maxK: number;
  readonly kernel: NetworkKernel;
  readonly learningRate: number;
  readonly route: number;
  private t = 0;
  private readonly losses = new Float64Log();
  private lossBuf = new Float64Array(0);

  constructor(backend: Backend, options: NetworkSystemOptions) {
    const { shape } = options;
    const D = shape.hidden * (shape.inputs + 1) + shape.outputs * (shape.hidden + 1);
    this.maxK = options.maxK ?? D;
    this.kernel = backend.createNetwork(shape, options.X, options.Y, this.maxK);
    this.dimension = this.kernel.dimension;
    if (options.w0.length !== D) {
      this.kernel.dispose();
      throw new RangeError(`weightdyn: expected w0 to have ${D} elements but it has ${options.w0.length}`);
    }
    this.kernel.weights.set(options.w0);
    this.learningRate = options.learningRate;
    this.route = TangentRoute[options.tangentRoute ?? "auto"];
    if (this.route === undefined) throw new RangeError(`weightdyn: unknown tangent route "${options.tangentRoute}"`);
  }

  get time(): number {
    return this.t;
  }
  state(): Float64Array {
    return this.kernel.weights.slice();
  }
  tangent(): Float64Array {
    return this.kernel.tangent;
  }
  /** C(w) at the current weights. */
  loss(): number {
    return this.kernel.loss();
  }
  /** C(w_t) for every step taken so far (t = 0 .. time-1; after a restore, up to the furthest time reached),
   *  recorded before each update. */
  lossHistory(): Float64Array {
    return this.losses.values();
  }
  /** The route (1: explicit Hessian, 2: Hessian-vector products) used for k tangent vectors. */
  resolvedRoute(k: number): number {
    return this.route === TangentRoute.auto ? this.kernel.chooseRoute(k) : this.route;
  }

  evolve(nSteps: number, k: number, qrEvery: number, logRDiag: Float64Array, rOut: Float64Array | null): EvolveResult {
    if (this.lossBuf.length < nSteps) this.lossBuf = new Float64Array(nSteps);
    const res = this.kernel.trainChunk(this.learningRate, k, nSteps, qrEvery, this.route, this.lossBuf, logRDiag, rOut);
    // A non-finite loss is recorded too: it is the step at which the run diverged.
    const recorded = res.reason === 1 ? res.steps + 1 : res.steps;
    // After a restore, steps before the furthest time reached are replays: their losses are already recorded.
    const skip = Math.min(Math.max(this.losses.length - this.t, 0), recorded);
    this.losses.push(this.lossBuf, skip, recorded);
    this.t += res.steps;
    return res.diverged
      ? { steps: res.steps, diverged: true, reason: REASONS[res.reason] }
      : { steps: res.steps, diverged: false };
  }

  /** A copy of the time, the weights and the whole tangent block (D + D * maxK numbers). */
  snapshot(): NetworkSnapshot {
    return new NetworkSnapshot(this, this.t, this.kernel.weights.slice(), this.kernel.tangent.slice());
  }

  /**
   * Returns to a snapshot of this system (for checkpoint-and-recompute). The loss history is left alone: it keeps
   * C(w_t) up to the furthest time reached, and replayed steps (bit-identical to the originals) are not recorded
   * again, so lossHistory() is the same before and after any restore-and-replay.
   */
  restore(snapshot: unknown): void {
    if (!(snapshot instanceof NetworkSnapshot) || snapshot.owner !== this) {
      throw new TypeError("weightdyn: NetworkSystem.restore expects a snapshot taken by snapshot() of the same system");
    }
    // The kernel's own weights and tangent arrays (types.ts: NetworkKernel), valid for its whole life.
    this.kernel.weights.set(snapshot.w);
    this.kernel.tangent.set(snapshot.Q);
    this.t = snapshot.time;
  }

  dispose(): void {
    this.kernel.dispose();
  }
}

/** What NetworkSystem.snapshot returns: opaque to callers. */
export class NetworkSnapshot {
  constructor(
    readonly owner: NetworkSystem,
    readonly time: number,
    readonly w: Float64Array,
    readonly Q: Float64Array,
  ) {}
}
