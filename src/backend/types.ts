/**
 * The one interface every compute backend implements (native C++ addon, AssemblyScript WASM).
 *
 * Kernels have one name everywhere: `native/kernels/<file>.cc: snake_name` <-> `assembly/<file>.ts: snake_name`
 * <-> `Backend.camelName` / `NetworkKernel.camelName`. The parity tests hold the twins together.
 *
 * Conventions (see README "Conventions"):
 * - Parameter vector order: W1 (n_1 x inputs, row-major), b1, W2 (n_2 x n_1), b2, ..., W_{L+1} (outputs x n_L),
 *   b_{L+1} for hidden widths n_1 .. n_L; D = sum_l n_l (n_{l-1} + 1) (layers.ts), h(i+1) + o(h+1) for one hidden
 *   layer. The training state is (w), (w, v) or (w, m, v) by the update rule (tables.ts RULES).
 * - Loss C(w) = 1/(2N) sum_s ||f(x_s) - y_s||^2.
 * - Tangent blocks Q are S x k, column-major (column j, the j-th tangent vector, is Q[j*S .. j*S+S)), S the state
 *   dimension.
 * - R factors are k x k, column-major, upper triangular, positive diagonal.
 * - Everything is float64.
 */

export {
  ACTIVATION_NAMES,
  ActivationId,
  type ActivationName,
  OUTPUT_ACTIVATION_NAMES,
  type OutputActivationName,
  RULE_NAMES,
  RuleId,
  type RuleName,
  TANGENT_ROUTE_NAMES,
  TangentRoute,
  type TangentRouteName,
} from "./tables.js";

/**
 * Shape of a network and its activations, as the kernels take it. `hidden` is one width (three layers) or the widths
 * of the hidden layers; `activation` and `activationParam` are one value for every hidden layer or one per layer.
 */
export interface NetworkShape {
  inputs: number;
  hidden: number | readonly number[];
  outputs: number;
  /** Hidden activation id(s) (ActivationId). */
  activation: number | readonly number[];
  /** Parameter(s) of the hidden activation(s): slope for leaky-relu, alpha for elu; ignored otherwise. */
  activationParam: number | readonly number[];
  /** Output activation id: identity, tanh or sigmoid. */
  outputActivation: number;
}

/**
 * An update rule of the training state (src/backend/tables.ts RULES): its id, the learning rate and its parameters
 * in table order. The state is stateBlocks vectors of length D: (w), (w, v) or (w, m, v).
 */
export interface TrainingRule {
  rule: number;
  learningRate: number;
  params: readonly number[];
}

/** What a network kernel is built from. */
export interface NetworkSpec {
  shape: NetworkShape;
  /** Inputs, N x inputs, row-major. */
  X: Float64Array;
  /** Targets, N x outputs, row-major. */
  Y: Float64Array;
  /** Most tangent vectors a call may carry (<= the state dimension). */
  maxK: number;
  rule: TrainingRule;
  /**
   * Threads of this network's dense kernels (the tangent products and the QR of large networks; small products stay
   * on one): 1 by default, at most MAX_THREADS. A backend uses min(threads, maxThreads); results are the same for any
   * count (native/kernels/dense.h, test/32).
   */
  threads?: number;
}

/** Minibatches of a chunk: step t uses the samples indices[offsets[t] .. offsets[t+1]). */
export interface ChunkBatches {
  indices: Int32Array;
  /** nSteps + 1 offsets, from 0 to indices.length. */
  offsets: Int32Array;
}

/** One chunky training call. */
export interface ChunkRequest {
  /** Tangent columns carried (<= maxK). */
  k: number;
  /** Steps (a multiple of qrEvery when k > 0). */
  nSteps: number;
  qrEvery: number;
  /** A tangent route id (TangentRoute); auto is resolved by the kernel's cost model. */
  route: number;
  /** Steps taken before this call: the rule's time (Adam's bias correction). */
  t0: number;
  /** Minibatches; null or absent: every step on all samples. */
  batches?: ChunkBatches | null;
  /** nSteps: C(w_t) on all samples. */
  lossOut: Float64Array;
  /** (nSteps / qrEvery) x k. */
  logRDiag: Float64Array;
  /** (nSteps / qrEvery) x k x k R factors, or null. */
  rOut?: Float64Array | null;
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
 * A network, its data and its update rule bound to a backend: the data (X, Y) and all workspaces live on the backend
 * side and are allocated once. `state` (length S = stateBlocks D; `weights` is a view of its first D numbers) and
 * `tangent` (length S maxK) are arrays owned by the kernel for its whole life; the caller writes the initial state
 * into them and reads results from them, and may keep them (they stay valid, and keep the final state after
 * dispose()). Every call checks them again: a transferred (detached) buffer is an error naming state or Q, never a
 * crash. An output array that shares memory with them or with another array of the same call is refused
 * (`<a> and <b> must not overlap`).
 */
export interface NetworkKernel {
  /** D, the number of parameters. */
  readonly dimension: number;
  /** S, the dimension of the training state (D, 2D or 3D by the rule). */
  readonly stateDimension: number;
  readonly samples: number;
  readonly maxK: number;
  /** Current state (length S): w, then the rule's other blocks. */
  readonly state: Float64Array;
  /** Current weights w (length D): the first D numbers of state. */
  readonly weights: Float64Array;
  /** Current tangent block Q (S x maxK, column-major; the first k columns are used). */
  readonly tangent: Float64Array;
  /** C(w) at the current weights, on all samples. */
  loss(): number;
  /** C(w) at the current weights; writes grad C(w) to grad (length D). */
  lossGrad(grad: Float64Array): number;
  /** Writes the Hessian of C at the current weights to H (D x D, symmetric). Explicit route. */
  hessian(H: Float64Array): void;
  /** HV = H(w) V for k vectors V (D x k column-major). Hessian-vector-product route. */
  hvp(V: Float64Array, k: number, HV: Float64Array): void;
  /**
   * Q <- J_t Q for the first k columns of `tangent`: the exact Jacobian of the rule's step at the current state and
   * time t (steps taken before it), on the samples of `batch` (all when null), by the given route.
   */
  tangentApply(k: number, route: number, t: number, batch?: Int32Array | null): void;
  /**
   * The hot loop: nSteps training steps from the current state. At each step t (J taken at the state before the
   * update): lossOut[t] = C(w_t) on all samples; on the step's batch, g = grad C_B(w_t), Q <- J_t Q (if k > 0) and
   * state <- f(state, g); after every qrEvery-th step Q = Q' R' with positive diag(R'), Q <- Q', and log R'_jj is
   * written to logRDiag[q*k + j] for the q-th QR of this call (and R' to rOut[q*k*k ..] when rOut is given).
   */
  trainChunk(request: ChunkRequest): ChunkResult;
  /** Which route `auto` picks for k tangent vectors on `samples` samples per step (default all; minibatches: the
   *  batch size) (1: hessian, 2: hvp, 3: factored). */
  chooseRoute(k: number, samples?: number): number;
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
  /** state <- f(state) for step t of the rule, given g = grad C(w) (length D); state has stateBlocks D numbers. */
  ruleStep(rule: TrainingRule, D: number, state: Float64Array, g: Float64Array, t: number): void;
  /**
   * Q <- J_t Q for k columns (Q: S x k column-major), the exact Jacobian of ruleStep at (state, t), given g and
   * HQ = H dw (D x k) for the w-rows dw of each column. With ruleStep, a rule runs on any loss (src/system/loss-map.ts).
   */
  ruleTangent(
    rule: TrainingRule,
    D: number,
    state: Float64Array,
    g: Float64Array,
    t: number,
    Q: Float64Array,
    k: number,
    HQ: Float64Array,
  ): void;
  /** Binds a network, its data and its update rule for up to maxK tangent vectors. */
  createNetwork(spec: NetworkSpec): NetworkKernel;
  /** Most threads one network can use (NetworkSpec.threads): the machine's cores for a native build with OpenMP, else
   *  1 (WASM is single-threaded). */
  readonly maxThreads: number;
  /** Runs per ensemble kernel: the SIMD lanes of the lockstep kernels (native/kernels/ensemble.h LANES); 0 for a
   *  backend without them (its runs are trained one by one). */
  readonly ensembleLanes: number;
  /**
   * Binds up to ensembleLanes runs of one three-layer network (same data, shape, rule, route and minibatches; each run
   * its own state and tangent block), advanced in lockstep with the runs on the SIMD lanes. A run's numbers do not
   * depend on the other runs of the ensemble.
   */
  createEnsemble(spec: EnsembleSpec): EnsembleKernel;
}

/** An ensemble kernel: a network spec and the number of runs (1 .. Backend.ensembleLanes). */
export interface EnsembleSpec extends NetworkSpec {
  runs: number;
}

/** One chunky call of an ensemble: a ChunkRequest for every run, without R factors (ensembles compute no CLVs). */
export interface EnsembleChunkRequest {
  k: number;
  nSteps: number;
  qrEvery: number;
  /** A resolved route (hessian, hvp or factored; auto is refused: resolve it with a NetworkKernel's chooseRoute). */
  route: number;
  t0: number;
  batches?: ChunkBatches | null;
  /** runs x nSteps: run b's C(w_t) at [b nSteps + t] (left alone after a run stops). */
  lossOut: Float64Array;
  /** runs x (nSteps / qrEvery) x k: run b's q-th log R_jj at [(b nQr + q) k + j]. */
  logRDiag: Float64Array;
}

/** Outcome of an ensemble call, per run. */
export interface EnsembleChunkResult {
  /** Steps each run completed in this call (0 for a run that had stopped before it). */
  steps: Int32Array;
  /** Each run's state after the call: 0 running, else the ChunkResult reason it stopped for (it stays stopped). */
  reasons: Int32Array;
}

/**
 * Up to Backend.ensembleLanes runs in lockstep (Backend.createEnsemble). Every run starts at the zero state with a
 * zero tangent block: set them before training. The kernel owns its memory; every call copies in or out.
 */
export interface EnsembleKernel {
  readonly runs: number;
  /** D, the number of parameters. */
  readonly dimension: number;
  /** S, the dimension of the training state. */
  readonly stateDimension: number;
  readonly samples: number;
  readonly maxK: number;
  /** Run `run`'s state (S numbers, w first; finite); a run that had stopped is running again. */
  setState(run: number, state: Float64Array): void;
  /** A copy of run `run`'s state (into out when given). */
  getState(run: number, out?: Float64Array): Float64Array;
  /** Run `run`'s tangent block (S x maxK, column-major; finite). */
  setTangent(run: number, Q: Float64Array): void;
  /** A copy of run `run`'s tangent block. */
  getTangent(run: number, out?: Float64Array): Float64Array;
  /** C(w) on all samples for every run (into out when given). */
  losses(out?: Float64Array): Float64Array;
  /** nSteps training steps of every running run (NetworkKernel.trainChunk, run by run, in lockstep). */
  trainChunk(request: EnsembleChunkRequest): EnsembleChunkResult;
  dispose(): void;
}
