/** Every tolerance the tests use, in one place, with where it comes from. */
export const TOL = {
  /** Central differences with h = 1e-5 on smooth functions: truncation O(h^2 f''') ~ 1e-10, rounding ~ eps/h. */
  activationFd: 1e-7,
  /** Tangent map against a central finite-difference Jacobian of the GD step (issue 2). */
  tangentFd: 1e-7,
  /** Symmetry of the explicit Hessian (rounding of the assembly). */
  hessianSymmetry: 1e-13,
  /** Two exact routes (explicit Hessian, Hessian-vector products) against each other. */
  routes: 1e-11,
  /** Deep networks (issue 16): the explicit Hessian against the HVP route on the identity, relative to max |H|. */
  deepHessianHvp: 1e-12,
  /** Deep networks: the general kernels on one hidden layer against the three-layer kernels, relative. */
  deepVsThreeLayer: 1e-12,
  /** Deep linear networks: the kernel's Hessian against the closed form, relative to max |H|. */
  linearClosedForm: 1e-12,
  /** The closed form against a five-point central difference (h = 1e-4) of the independent gradient. */
  linearClosedFormFd: 1e-9,
  /** GD on a quadratic: exponents ln|1 - eta a_i| (issue 2). */
  quadratic: 1e-10,
  /** Henon and logistic-map exponents after 1e5 steps (issue 2). */
  chaoticMaps: 3e-3,
  /** Constant matrix map: ln|eigenvalues| (issue 2). */
  linearMap: 1e-9,
  /** Sum of local exponents against ln|det J_t| (issue 2). */
  detIdentity: 1e-9,
  /** Native against WASM on converging trajectories (issue 4): exponents absolute, loss relative. */
  parityExponents: 1e-9,
  parityLoss: 1e-12,
  /** Lockstep (ensemble) kernels against the one-run path on converging runs (issue 15, test/24): losses relative,
   *  FTLEs absolute (vectorised exp/tanh within a few ulps of glibc's, fused multiply-adds natively). */
  lockstep: 1e-12,
  /**
   * Lockstep ensembles (issue 15) on converging trajectories, native against WASM: losses per step and states
   * (relative to max |state|), and per column the sum of log R_jj over a chunk (relative to max(1, |sum|)). The twins
   * run the same operations per lane and round apart only where native forms fused multiply-adds (its ensemble files
   * are compiled with contraction) and where the two libms differ (log in the QR; log1p and sin for softplus and sin);
   * measured up to 9e-14 (Adam with epsilon 1e-5, whose tangent amplifies rounding where v is small).
   */
  ensembleParity: 1e-12,
  /**
   * A run of a WASM ensemble against the same run through the single-run WASM kernel, same measures: the ensemble
   * evaluates exp, tanh and the logistic function with vecmath.ts (within a few ulps of the libm) and its kernels sum
   * in their own order; measured up to 7e-15.
   */
  ensembleSingleRun: 1e-12,
  /** |cos| between a CLV of a constant matrix map and its eigenvector: 1 - 1e-10 (issue 3). */
  clvEigenvector: 1e-10,
  /** Covariance J_t V_t parallel to V_{t+every}: sine of the angle between them (issue 3). */
  clvCovariance: 1e-8,
  /** One Math function (atan2, sin, exp, ...) of two JavaScript engines on the same argument, relative: the V8 of
   *  Node 20 and of Chromium 156 differ in the last bits (issue 14: the playground's CLV angles). */
  jsMathUlps: 4 * Number.EPSILON,
  /** Checkpoint-and-recompute against store mode (issue 3). */
  clvModes: 1e-10,
} as const;
