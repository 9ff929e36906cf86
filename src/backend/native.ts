/**
 * The native backend: the C++ addon built by cmake-js into build/Release/weightdyn.node.
 * A thin adapter: the addon itself validates every argument.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { missingFeatures } from "./cpu.js";
import { checkNetworkArgs } from "./guards.js";
import { ADDON_FILE, rebuildCommand, whyNoAddon } from "./native-status.js";
import { packageRoot } from "./root.js";
import type { Backend, ChunkResult, NetworkKernel, NetworkShape } from "./types.js";

/** The addon's Network object: the NetworkKernel methods, on the w and Q arrays it was constructed with. */
type NativeNetwork = Pick<
  NetworkKernel,
  "loss" | "lossGrad" | "hessian" | "hvp" | "tangentApply" | "trainChunk" | "chooseRoute" | "dispose"
>;

/** The raw export table of native/addon.cc. */
export interface NativeAddon {
  activation(id: number, param: number, z: Float64Array, f: Float64Array, d1: Float64Array, d2: Float64Array): void;
  qrPositive(A: Float64Array, D: number, k: number, R: Float64Array, logRDiag: Float64Array): void;
  Network: new (
    inputs: number,
    hidden: number,
    outputs: number,
    activation: number,
    activationParam: number,
    outputActivation: number,
    samples: number,
    X: Float64Array,
    Y: Float64Array,
    maxK: number,
    w: Float64Array,
    Q: Float64Array,
  ) => NativeNetwork;
  eigen: boolean;
  /** Hidden, for the tests: switches gemm between Eigen and the built-in kernels; returns whether Eigen is used. */
  _denseEigen(on?: boolean): boolean;
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
  readonly samples: number;
  readonly maxK: number;
  readonly weights: Float64Array;
  readonly tangent: Float64Array;
  private readonly net: NativeNetwork;

  constructor(addon: NativeAddon, shape: NetworkShape, X: Float64Array, Y: Float64Array, maxK: number) {
    // Checked before the weights and tangent arrays are allocated; the addon checks everything again.
    const a = checkNetworkArgs(shape, X, Y, maxK);
    this.dimension = a.D;
    this.samples = a.N;
    this.maxK = a.maxK;
    this.weights = new Float64Array(this.dimension);
    this.tangent = new Float64Array(this.dimension * this.maxK);
    this.net = new addon.Network(
      a.inputs,
      a.hidden,
      a.outputs,
      a.act,
      a.param,
      a.outAct,
      a.N,
      a.X,
      a.Y,
      a.maxK,
      this.weights,
      this.tangent,
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
  tangentApply(eta: number, k: number, route: number): void {
    this.net.tangentApply(eta, k, route);
  }
  trainChunk(
    eta: number,
    k: number,
    nSteps: number,
    qrEvery: number,
    route: number,
    lossOut: Float64Array,
    logRDiag: Float64Array,
    rOut: Float64Array | null,
  ): ChunkResult {
    return this.net.trainChunk(eta, k, nSteps, qrEvery, route, lossOut, logRDiag, rOut);
  }
  chooseRoute(k: number): number {
    return this.net.chooseRoute(k);
  }
  dispose(): void {
    this.net.dispose();
  }
}

export function createNativeBackend(addon: NativeAddon = loadNativeAddon()): Backend {
  return {
    name: "native",
    activation: (id, param, z, f, d1, d2) => addon.activation(id, param, z, f, d1, d2),
    qrPositive: (A, D, k, R, logRDiag) => addon.qrPositive(A, D, k, R, logRDiag),
    createNetwork: (shape, X, Y, maxK) => new NativeNetworkKernel(addon, shape, X, Y, maxK),
  };
}
