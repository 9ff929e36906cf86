/**
 * A tangent system: a discrete map x_{t+1} = f(x_t) together with its tangent dynamics, advanced in chunks.
 * The Lyapunov algorithms (src/algorithms) use only this interface, so they run unchanged on a training network
 * (src/system/network.ts), on a user-supplied map (src/system/map.ts), or on anything else that implements it
 * (the split between system and algorithm of DynamicalSystems.jl / ChaosTools.jl).
 */
export interface EvolveResult {
  /** Steps completed (the requested number unless the system diverged). */
  steps: number;
  /** True when the state or the tangent block became non-finite. */
  diverged: boolean;
  /** Why it diverged: "loss", "weights", "state" or "tangent"; undefined otherwise. */
  reason?: string;
}

export interface TangentSystem {
  /** Dimension D of the state. */
  readonly dimension: number;
  /** Most tangent vectors this system can carry. */
  readonly maxK: number;
  /** Steps taken since the system was created. */
  readonly time: number;
  /** A copy of the current state. */
  state(): Float64Array;
  /** The tangent block Q (D x maxK, column-major; the first k columns are evolved). Writable; may be a view. */
  tangent(): Float64Array;
  /**
   * Advances nSteps steps carrying the first k columns of the tangent block: Q <- Df(x_t) Q, x <- f(x_t). After every
   * qrEvery-th step, Q = Q' R' with positive diag(R'), Q <- Q', and log R'_jj goes to logRDiag[q*k + j] for the q-th QR
   * of this call (R' to rOut[q*k*k ...], column-major, when given). nSteps is a multiple of qrEvery when k > 0.
   */
  evolve(nSteps: number, k: number, qrEvery: number, logRDiag: Float64Array, rOut: Float64Array | null): EvolveResult;
  /**
   * Optional: an opaque copy of everything `evolve` depends on (time, state, the whole tangent block), for the
   * checkpoint-and-recompute mode of the covariant Lyapunov vectors (src/algorithms/clv.ts). It holds
   * D + D * maxK numbers plus a few fields.
   */
  snapshot?(): unknown;
  /**
   * Optional (with snapshot): returns the system to a snapshot of this same system. Evolving from it repeats the
   * original steps bit for bit (the kernels are deterministic), and `time` goes back to the snapshot's time.
   * Records a system keeps per step (the loss history of a network) are not rewritten by such replays.
   */
  restore?(snapshot: unknown): void;
}
