/**
 * The training of a network as a TangentSystem: the state x = (w), (w, v) or (w, m, v) of an update rule (gradient
 * descent, momentum, Nesterov, Adam; src/backend/tables.ts), x_{t+1} = f(x_t, g_t) with g_t the gradient of the loss on
 * step t's batch, and its exact tangent map J_t (for gd, I - eta H(w_t)). The whole step (update, tangent map, QR)
 * runs in the backend's train_chunk kernel; this class keeps the time and the loss history, hands each chunk its
 * minibatches (batches.ts) and maps the backend's status codes.
 *
 * The tangent route is resolved once, at construction: `auto` becomes the route the backend's cost model picks for
 * maxK vectors on the usual batch size, and that name is carried (resolvedRoute) and passed to every call.
 */
import { parameterCount, stateDimension } from "../backend/layers.js";
import type { Backend, NetworkKernel, NetworkShape, TrainingRule } from "../backend/types.js";
import { TangentRoute, type TangentRouteName } from "../backend/types.js";
import type { BatchSchedule } from "./batches.js";
import type { EvolveResult, TangentSystem } from "./types.js";

export interface NetworkSystemOptions {
  shape: NetworkShape;
  /** Inputs, N x inputs, row-major. */
  X: Float64Array;
  /** Targets, N x outputs, row-major. */
  Y: Float64Array;
  /** Initial weights w_0 in the fixed order (W1, b1, W2, b2, ...); the rule's other state blocks start at 0. */
  w0: Float64Array;
  /** The update rule with its learning rate and parameters. */
  rule: TrainingRule;
  /** The minibatches (null or absent: full batch). */
  batches?: BatchSchedule | null;
  /** Most tangent vectors to carry (default S, the state dimension). */
  maxK?: number;
  /** How the tangent map is applied (default "auto": the cheaper route for the size, resolved once here). */
  tangentRoute?: TangentRouteName;
  /** Threads of the network's dense kernels (NetworkSpec.threads; default 1). */
  threads?: number;
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

export type ResolvedRouteName = Exclude<TangentRouteName, "auto">;

export class NetworkSystem implements TangentSystem {
  /** S, the dimension of the training state (the system's state). */
  readonly dimension: number;
  /** D, the number of parameters. */
  readonly parameters: number;
  readonly maxK: number;
  readonly kernel: NetworkKernel;
  readonly rule: TrainingRule;
  /** The route every call uses (auto resolved at construction). */
  readonly resolvedRoute: ResolvedRouteName;
  private readonly route: number;
  private readonly batches: BatchSchedule | null;
  private t = 0;
  private readonly losses = new Float64Log();
  private lossBuf = new Float64Array(0);

  constructor(backend: Backend, options: NetworkSystemOptions) {
    const { shape } = options;
    const D = parameterCount(shape);
    if (options.w0.length !== D) {
      throw new RangeError(`weightdyn: expected w0 to have ${D} elements but it has ${options.w0.length}`);
    }
    const requested = options.tangentRoute ?? "auto";
    if (TangentRoute[requested] === undefined) throw new RangeError(`weightdyn: unknown tangent route "${requested}"`);
    this.rule = options.rule;
    const maxK = options.maxK ?? stateDimension(D, options.rule.rule);
    this.kernel = backend.createNetwork({
      shape,
      X: options.X,
      Y: options.Y,
      maxK,
      rule: options.rule,
      threads: options.threads,
    });
    this.dimension = this.kernel.stateDimension;
    this.parameters = this.kernel.dimension;
    this.maxK = this.kernel.maxK;
    this.kernel.weights.set(options.w0);
    this.batches = options.batches ?? null;
    const samples = this.batches ? this.batches.typicalSize : this.kernel.samples;
    const id =
      requested === "auto" ? this.kernel.chooseRoute(Math.max(this.maxK, 1), samples) : TangentRoute[requested];
    this.route = id;
    this.resolvedRoute = routeName(id);
  }

  get time(): number {
    return this.t;
  }
  /** A copy of the current state (w, then the rule's other blocks). */
  state(): Float64Array {
    return this.kernel.state.slice();
  }
  /** A copy of the current weights. */
  weights(): Float64Array {
    return this.kernel.weights.slice();
  }
  tangent(): Float64Array {
    return this.kernel.tangent;
  }
  /** C(w) at the current weights, on all samples. */
  loss(): number {
    return this.kernel.loss();
  }
  /** C(w_t) on all samples for every step taken so far (t = 0 .. time-1; after a restore, up to the furthest time
   *  reached), recorded before each update. */
  lossHistory(): Float64Array {
    return this.losses.values();
  }

  evolve(nSteps: number, k: number, qrEvery: number, logRDiag: Float64Array, rOut: Float64Array | null): EvolveResult {
    if (this.lossBuf.length < nSteps) this.lossBuf = new Float64Array(nSteps);
    const res = this.kernel.trainChunk({
      k,
      nSteps,
      qrEvery,
      route: this.route,
      t0: this.t,
      batches: this.batches ? this.batches.batches(this.t, nSteps) : null,
      lossOut: this.lossBuf,
      logRDiag,
      rOut,
    });
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

  /** A copy of the time, the state and the whole tangent block (S + S * maxK numbers). */
  snapshot(): NetworkSnapshot {
    return new NetworkSnapshot(this, this.t, this.kernel.state.slice(), this.kernel.tangent.slice());
  }

  /**
   * Returns to a snapshot of this system (for checkpoint-and-recompute). The loss history is left alone: it keeps
   * C(w_t) up to the furthest time reached, and replayed steps (bit-identical to the originals: the rule's time and
   * the minibatches are functions of t) are not recorded again, so lossHistory() is the same before and after any
   * restore-and-replay.
   */
  restore(snapshot: unknown): void {
    if (!(snapshot instanceof NetworkSnapshot) || snapshot.owner !== this) {
      throw new TypeError("weightdyn: NetworkSystem.restore expects a snapshot taken by snapshot() of the same system");
    }
    // The kernel's own state and tangent arrays (types.ts: NetworkKernel), valid for its whole life.
    this.kernel.state.set(snapshot.state);
    this.kernel.tangent.set(snapshot.Q);
    this.t = snapshot.time;
  }

  dispose(): void {
    this.kernel.dispose();
  }
}

/** The name of a resolved route id (1 hessian, 2 hvp, 3 factored). */
export function routeName(id: number): ResolvedRouteName {
  const name = (Object.keys(TangentRoute) as TangentRouteName[]).find((n) => TangentRoute[n] === id);
  if (!name || name === "auto") throw new Error(`weightdyn: unknown resolved tangent route ${id}`);
  return name;
}

/** What NetworkSystem.snapshot returns: opaque to callers. */
export class NetworkSnapshot {
  constructor(
    readonly owner: NetworkSystem,
    readonly time: number,
    readonly state: Float64Array,
    readonly Q: Float64Array,
  ) {}
}
