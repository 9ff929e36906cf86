/**
 * The one interface every compute backend implements (native C++ addon, AssemblyScript WASM).
 *
 * Kernels have one name everywhere: `native/kernels/<file>.cc: snake_name` <-> `assembly/<file>.ts: snake_name`
 * <-> `Backend.camelName` / `NetworkKernel.camelName`. The parity tests hold the twins together.
 *
 * Conventions (see README "Conventions"):
 * - Parameter vector order: W1 (hidden x inputs, row-major), b1, W2 (outputs x hidden, row-major), b2;
 *   D = h(i+1) + o(h+1).
 * - Loss C(w) = 1/(2N) sum_s ||f(x_s) - y_s||^2.
 * - Tangent blocks Q are D x k, column-major (column j, the j-th tangent vector, is Q[j*D .. j*D+D)).
 * - R factors are k x k, column-major, upper triangular, positive diagonal.
 * - Everything is float64.
 */

/** Numeric ids of the activations, shared with native/kernels/activations.h and assembly/activations.ts. */
export const ActivationId = {
  identity: 0,
  tanh: 1,
  sigmoid: 2,
  relu: 3,
  "leaky-relu": 4,
  elu: 5,
  softplus: 6,
  silu: 7,
  gelu: 8,
  sin: 9,
} as const;
export type ActivationName = keyof typeof ActivationId;
export const ACTIVATION_NAMES = Object.keys(ActivationId) as ActivationName[];
/** Output activations whose f'' enters the Hessian; a subset of the hidden ones. */
export const OUTPUT_ACTIVATION_NAMES = ["identity", "tanh", "sigmoid"] as const;
export type OutputActivationName = (typeof OUTPUT_ACTIVATION_NAMES)[number];

/** How J_t = I - eta H(w_t) is applied to the tangent block. */
export const TangentRoute = { auto: 0, hessian: 1, hvp: 2, factored: 3 } as const;
export type TangentRouteName = keyof typeof TangentRoute;

/** Shape of a three-layer network and its activations, as the kernels take it. */
export interface NetworkShape {
  inputs: number;
  hidden: number;
  outputs: number;
  /** Hidden activation id (ActivationId). */
  activation: number;
  /** Parameter of the hidden activation: slope for leaky-relu, alpha for elu; ignored otherwise. */
  activationParam: number;
  /** Output activation id: identity, tanh or sigmoid. */
  outputActivation: number;
}

/** Outcome of one chunky training call. */
export interface ChunkResult {
  /** Number of steps completed (equals the requested number unless the run diverged). */
  steps: number;
  /** True when the loss, the weights or the tangent block became non-finite. */
  diverged: boolean;
  /** 0: ok, 1: loss non-finite, 2: weights non-finite, 3: tangent non-finite. */
  reason: number;
}

/**
 * A network and its data bound to a backend: the data (X, Y) and all workspaces live on the backend side and are
 * allocated once. `weights` (length D) and `tangent` (length D*maxK) are arrays owned by the kernel for its whole
 * life; the caller writes the initial state into them and reads results from them, and may keep them (they stay
 * valid, and keep the final state after dispose()). Every call checks them again: a transferred (detached) buffer is
 * an error naming w or Q, never a crash. An output array that shares memory with them or with another array of the
 * same call is refused (`<a> and <b> must not overlap`).
 */
export interface NetworkKernel {
  readonly dimension: number;
  readonly samples: number;
  readonly maxK: number;
  /** Current weights w (length D). */
  readonly weights: Float64Array;
  /** Current tangent block Q (D x maxK, column-major; the first k columns are used). */
  readonly tangent: Float64Array;
  /** C(w) at the current weights. */
  loss(): number;
  /** C(w) at the current weights; writes grad C(w) to grad (length D). */
  lossGrad(grad: Float64Array): number;
  /** Writes the Hessian of C at the current weights to H (D x D, symmetric). Explicit route. */
  hessian(H: Float64Array): void;
  /** HV = H(w) V for k vectors V (D x k column-major). Hessian-vector-product route. */
  hvp(V: Float64Array, k: number, HV: Float64Array): void;
  /** Q <- (I - eta H(w)) Q for the first k columns of `tangent`, by the given route (auto picks the cheaper). */
  tangentApply(eta: number, k: number, route: number): void;
  /**
   * The hot loop: nSteps gradient-descent steps from the current weights. At each step t (J taken at w_t, before the
   * update): lossOut[t] = C(w_t); Q <- (I - eta H(w_t)) Q (if k > 0); w <- w - eta grad C(w_t); after every qrEvery-th
   * step Q = Q' R' with positive diag(R'), Q <- Q', and log R'_jj is written to logRDiag[q*k + j] for the q-th QR of
   * this call (and R' to rOut[q*k*k ..] when rOut is given). nSteps must be a multiple of qrEvery.
   */
  trainChunk(
    eta: number,
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    lossOut: Float64Array,
    logRDiag: Float64Array,
    rOut: Float64Array | null,
  ): ChunkResult;
  /** Which route `auto` picks for k tangent vectors (1: hessian, 2: hvp, 3: factored). */
  chooseRoute(k: number): number;
  /** Frees backend-side memory. The kernel must not be used afterwards. */
  dispose(): void;
}

export type BackendName = "native" | "wasm";

export interface Backend {
  readonly name: BackendName;
  /** Evaluates an activation and its first two derivatives elementwise. */
  activation(id: number, param: number, z: Float64Array, f: Float64Array, d1: Float64Array, d2: Float64Array): void;
  /**
   * Householder QR of A (D x k, column-major, k <= D) with a positive diagonal of R: A is overwritten by Q (thin,
   * D x k), R (k x k, column-major) is written to R, log R_jj to logRDiag.
   */
  qrPositive(A: Float64Array, D: number, k: number, R: Float64Array, logRDiag: Float64Array): void;
  /** Binds a network and its data (X: N x inputs row-major, Y: N x outputs row-major) for up to maxK tangent vectors. */
  createNetwork(shape: NetworkShape, X: Float64Array, Y: Float64Array, maxK: number): NetworkKernel;
}
