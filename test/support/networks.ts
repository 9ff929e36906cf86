/** Network fixtures shared by the spectrum and CLV suites. */
import {
  type Backend,
  type ChunkRequest,
  type NetworkKernel,
  type NetworkShape,
  RuleId,
  type TrainingRule,
} from "../../src/backend/types.js";
import { fixtureRng } from "./linalg.js";

/**
 * A 1-4-1 tanh network (D = 13) on y = sin(pi x) at 20 equally spaced points of [-1, 1], with weights uniform on
 * [-1, 1) from fixtureRng(4).
 */
export function sineNetwork141(): {
  shape: NetworkShape;
  X: Float64Array;
  Y: Float64Array;
  w0: Float64Array;
  D: number;
} {
  const shape: NetworkShape = {
    inputs: 1,
    hidden: 4,
    outputs: 1,
    activation: 1,
    activationParam: 0,
    outputActivation: 0,
  };
  const N = 20;
  const X = Float64Array.from({ length: N }, (_, s) => -1 + (2 * s) / (N - 1));
  const Y = X.map((x) => Math.sin(Math.PI * x));
  const rand = fixtureRng(4);
  const D = 13;
  const w0 = Float64Array.from({ length: D }, () => 2 * rand() - 1);
  return { shape, X, Y, w0, D };
}

/** Gradient descent with learning rate eta, as the kernels take it. */
export function gd(eta = 0.1): TrainingRule {
  return { rule: RuleId.gd, learningRate: eta, params: [] };
}

/** backend.createNetwork with positional arguments (rule: gd(0.1) unless given). */
export function createKernel(
  backend: Backend,
  shape: NetworkShape,
  X: Float64Array,
  Y: Float64Array,
  maxK: number,
  rule: TrainingRule = gd(),
): NetworkKernel {
  return backend.createNetwork({ shape, X, Y, maxK, rule });
}

/** A ChunkRequest from positional arguments, in the order of the maths. */
export function chunk(
  k: number,
  nSteps: number,
  qrEvery: number,
  route: number,
  lossOut: Float64Array,
  logRDiag: Float64Array,
  rOut: Float64Array | null = null,
  t0 = 0,
): ChunkRequest {
  return { k, nSteps, qrEvery, route, t0, lossOut, logRDiag, rOut };
}
