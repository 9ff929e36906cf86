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

/** One training step of the kernel as a map of the state, at time t on the samples of batch (null: all), by
 *  trainChunk; a diverged step is an error. */
export function stepMap(net: NetworkKernel, batch: Int32Array | null, t: number): (x: Float64Array) => Float64Array {
  const batches = batch ? { indices: batch, offsets: Int32Array.of(0, batch.length) } : null;
  const lossOut = new Float64Array(1);
  const logRDiag = new Float64Array(0);
  return (x) => {
    net.state.set(x);
    const res = net.trainChunk({ k: 0, nSteps: 1, qrEvery: 1, route: 0, t0: t, batches, lossOut, logRDiag });
    if (res.diverged) throw new Error(`the step diverged (reason ${res.reason})`);
    return net.state.slice();
  };
}

/** J_t at state x0 (time t, samples of batch) by the given route: tangentApply on the identity, S x S column-major. */
export function tangentOfIdentity(
  net: NetworkKernel,
  x0: Float64Array,
  route: number,
  t: number,
  batch: Int32Array | null,
): Float64Array {
  const S = net.stateDimension;
  net.state.set(x0);
  const Q = net.tangent;
  Q.fill(0);
  for (let j = 0; j < S; j++) Q[j * S + j] = 1;
  net.tangentApply(S, route, t, batch);
  return net.tangent.slice(0, S * S);
}
