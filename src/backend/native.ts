/**
 * The native backend: the C++ addon built by cmake-js into build/Release/weightdyn.node.
 * A thin adapter: the addon itself validates every argument.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { missingFeatures } from "./cpu.js";
import { checkEnsembleArgs, checkNetworkArgs, checkRule } from "./guards.js";
import { ADDON_FILE, rebuildCommand, whyNoAddon } from "./native-status.js";
import { packageRoot } from "./root.js";
import type {
  Backend,
  ChunkRequest,
  ChunkResult,
  EnsembleChunkRequest,
  EnsembleChunkResult,
  EnsembleKernel,
  EnsembleSpec,
  NetworkKernel,
  NetworkSpec,
} from "./types.js";

/** The addon's Network object: the NetworkKernel methods with positional arguments, on the arrays it was built with. */
interface NativeNetwork {
  loss(): number;
  lossGrad(grad: Float64Array): number;
  hessian(H: Float64Array): void;
  hvp(V: Float64Array, k: number, HV: Float64Array): void;
  tangentApply(k: number, route: number, t: number, batch: Int32Array | null): void;
  trainChunk(
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    t0: number,
    batchIndices: Int32Array | null,
    batchOffsets: Int32Array | null,
    lossOut: Float64Array,
    logRDiag: Float64Array,
    rOut: Float64Array | null,
  ): ChunkResult;
  chooseRoute(k: number, samples: number): number;
  dispose(): void;
}

/** The addon's Ensemble object (native/bind_ensemble.cc). */
interface NativeEnsemble {
  setState(run: number, state: Float64Array): void;
  getState(run: number, out: Float64Array): void;
  setTangent(run: number, Q: Float64Array): void;
  getTangent(run: number, out: Float64Array): void;
  loss(out: Float64Array): void;
  trainChunk(
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    t0: number,
    batchIndices: Int32Array | null,
    batchOffsets: Int32Array | null,
    lossOut: Float64Array,
    logRDiag: Float64Array,
    stepsOut: Int32Array,
  ): Int32Array;
  dispose(): void;
}

/** The raw export table of native/addon.cc. */
export interface NativeAddon {
  activation(id: number, param: number, z: Float64Array, f: Float64Array, d1: Float64Array, d2: Float64Array): void;
  qrPositive(A: Float64Array, D: number, k: number, R: Float64Array, logRDiag: Float64Array): void;
  ruleStep(
    rule: number,
    eta: number,
    params: Float64Array,
    D: number,
    state: Float64Array,
    g: Float64Array,
    t: number,
  ): void;
  ruleTangent(
    rule: number,
    eta: number,
    params: Float64Array,
    D: number,
    state: Float64Array,
    g: Float64Array,
    t: number,
    Q: Float64Array,
    k: number,
    HQ: Float64Array,
  ): void;
  Network: new (
    layers: Int32Array,
    activations: Int32Array,
    activationParams: Float64Array,
    X: Float64Array,
    Y: Float64Array,
    maxK: number,
    rule: number,
    eta: number,
    ruleParams: Float64Array,
    state: Float64Array,
    Q: Float64Array,
    threads?: number,
  ) => NativeNetwork;
  Ensemble: new (
    layers: Int32Array,
    activations: Int32Array,
    activationParams: Float64Array,
    X: Float64Array,
    Y: Float64Array,
    maxK: number,
    rule: number,
    eta: number,
    ruleParams: Float64Array,
    runs: number,
  ) => NativeEnsemble;
  /** Runs per Ensemble (native/kernels/ensemble.h LANES). */
  ensembleLanes: number;
  eigen: boolean;
  /** Hidden, for the tests: switches gemm between Eigen and the built-in kernels; returns whether Eigen is used. */
  _denseEigen(on?: boolean): boolean;
  /** Hidden, for the tests: with true, one-hidden-layer networks run the general-depth kernels (kernels/depth.h). */
  _deepKernels(on?: boolean): boolean;
  /** How the binary was compiled (native/build_info.cc). */
  buildInfo: NativeBuildInfo;
}

/** The addon's buildInfo export (native/build_info.cc). */
export interface NativeBuildInfo {
  eigen: boolean;
  eigenVersion?: string;
  /** Built for baseline x86-64 (WEIGHTDYN_PORTABLE). */
  portable: boolean;
  /** Built with -march=native for the CPU of the machine that built it. */
  marchNative: boolean;
  compiler?: string;
  napiVersion: number;
  /** Built with OpenMP: one large network may use several threads (maxThreads, the machine's cores; else 1). */
  openmp?: boolean;
  maxThreads?: number;
  /** Extensions the compiler targeted (sse4_2, avx, avx2, fma, avx512f). */
  targetFeatures: string[];
}

/**
 * Loads the addon; throws with the reason when it is absent (why the install did not build it: native-status.ts),
 * does not load, or was compiled with -march=native for extensions this CPU lacks (a binary copied from another
 * machine, which would otherwise die of an illegal instruction at its first call).
 */
export function loadNativeAddon(): NativeAddon {
  const root = packageRoot();
  const path = join(root, ADDON_FILE);
  if (!existsSync(path)) throw new Error(`${ADDON_FILE} is not built: ${whyNoAddon(root)}`);
  const require = createRequire(import.meta.url);
  const addon = require(path) as NativeAddon;
  const missing = missingFeatures(addon.buildInfo?.targetFeatures ?? []);
  if (missing.length > 0) {
    throw new Error(
      `the native addon was compiled for CPU extensions this machine lacks (${missing.join(", ")}): rebuild it here (${rebuildCommand(root)}), or build it portable (WEIGHTDYN_PORTABLE=1)`,
    );
  }
  return addon;
}

class NativeNetworkKernel implements NetworkKernel {
  readonly dimension: number;
  readonly stateDimension: number;
  readonly samples: number;
  readonly maxK: number;
  readonly state: Float64Array;
  readonly weights: Float64Array;
  readonly tangent: Float64Array;
  private readonly net: NativeNetwork;

  constructor(
    addon: NativeAddon,
    spec: NetworkSpec,
    private readonly maxThreads: number,
  ) {
    // Checked before the state and tangent arrays are allocated; the addon checks everything again.
    const a = checkNetworkArgs(spec);
    this.dimension = a.D;
    this.stateDimension = a.S;
    this.samples = a.N;
    this.maxK = a.maxK;
    this.state = new Float64Array(a.S);
    this.weights = this.state.subarray(0, a.D);
    this.tangent = new Float64Array(a.S * a.maxK);
    this.net = new addon.Network(
      Int32Array.from(a.layers),
      Int32Array.from(a.acts),
      Float64Array.from(a.params),
      a.X,
      a.Y,
      a.maxK,
      a.rule.id,
      a.rule.eta,
      Float64Array.from(a.rule.params),
      this.state,
      this.tangent,
      Math.min(a.threads, this.maxThreads),
    );
  }
  loss(): number {
    return this.net.loss();
  }
  lossGrad(grad: Float64Array): number {
    return this.net.lossGrad(grad);
  }
  hessian(H: Float64Array): void {
    this.net.hessian(H);
  }
  hvp(V: Float64Array, k: number, HV: Float64Array): void {
    this.net.hvp(V, k, HV);
  }
  tangentApply(k: number, route: number, t: number, batch: Int32Array | null = null): void {
    this.net.tangentApply(k, route, t, batch);
  }
  trainChunk(r: ChunkRequest): ChunkResult {
    const b = r.batches ?? null;
    return this.net.trainChunk(
      r.k,
      r.nSteps,
      r.qrEvery,
      r.route,
      r.t0,
      b ? b.indices : null,
      b ? b.offsets : null,
      r.lossOut,
      r.logRDiag,
      r.rOut ?? null,
    );
  }
  chooseRoute(k: number, samples: number = this.samples): number {
    return this.net.chooseRoute(k, samples);
  }
  dispose(): void {
    this.net.dispose();
  }
}

/** An Ensemble of the addon behind the EnsembleKernel interface (the addon validates every argument). */
class NativeEnsembleKernel implements EnsembleKernel {
  readonly runs: number;
  readonly dimension: number;
  readonly stateDimension: number;
  readonly samples: number;
  readonly maxK: number;
  private readonly ens: NativeEnsemble;

  constructor(addon: NativeAddon, spec: EnsembleSpec) {
    const a = checkEnsembleArgs(spec, addon.ensembleLanes);
    this.runs = a.runs;
    this.dimension = a.D;
    this.stateDimension = a.S;
    this.samples = a.N;
    this.maxK = a.maxK;
    this.ens = new addon.Ensemble(
      Int32Array.from(a.layers),
      Int32Array.from(a.acts),
      Float64Array.from(a.params),
      a.X,
      a.Y,
      a.maxK,
      a.rule.id,
      a.rule.eta,
      Float64Array.from(a.rule.params),
      a.runs,
    );
  }
  setState(run: number, state: Float64Array): void {
    this.ens.setState(run, state);
  }
  getState(run: number, out: Float64Array = new Float64Array(this.stateDimension)): Float64Array {
    this.ens.getState(run, out);
    return out;
  }
  setTangent(run: number, Q: Float64Array): void {
    this.ens.setTangent(run, Q);
  }
  getTangent(run: number, out: Float64Array = new Float64Array(this.stateDimension * this.maxK)): Float64Array {
    this.ens.getTangent(run, out);
    return out;
  }
  losses(out: Float64Array = new Float64Array(this.runs)): Float64Array {
    this.ens.loss(out);
    return out;
  }
  trainChunk(r: EnsembleChunkRequest): EnsembleChunkResult {
    const b = r.batches ?? null;
    const steps = new Int32Array(this.runs);
    const reasons = this.ens.trainChunk(
      r.k,
      r.nSteps,
      r.qrEvery,
      r.route,
      r.t0,
      b ? b.indices : null,
      b ? b.offsets : null,
      r.lossOut,
      r.logRDiag,
      steps,
    );
    return { steps, reasons };
  }
  dispose(): void {
    this.ens.dispose();
  }
}

export function createNativeBackend(addon: NativeAddon = loadNativeAddon()): Backend {
  const maxThreads = addon.buildInfo?.maxThreads ?? 1;
  return {
    name: "native",
    ensembleLanes: addon.ensembleLanes,
    createEnsemble: (spec) => new NativeEnsembleKernel(addon, spec),
    activation: (id, param, z, f, d1, d2) => addon.activation(id, param, z, f, d1, d2),
    qrPositive: (A, D, k, R, logRDiag) => addon.qrPositive(A, D, k, R, logRDiag),
    ruleStep: (rule, D, state, g, t) => {
      const r = checkRule(rule);
      addon.ruleStep(r.id, r.eta, Float64Array.from(r.params), D, state, g, t);
    },
    ruleTangent: (rule, D, state, g, t, Q, k, HQ) => {
      const r = checkRule(rule);
      addon.ruleTangent(r.id, r.eta, Float64Array.from(r.params), D, state, g, t, Q, k, HQ);
    },
    createNetwork: (spec) => new NativeNetworkKernel(addon, spec, maxThreads),
    maxThreads,
  };
}
