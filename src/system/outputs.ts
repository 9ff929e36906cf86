/**
 * What a network computes at given inputs: the forward pass, for showing a fit (the playground's fitted function),
 * never inside training (the kernels have their own, fused with the gradient and the tangent map).
 *
 *   networkOutputs(backend, shape, w, X) -> F (N x outputs, row-major)
 *
 * h_0 = x, h_l = a_l(W_l h_{l-1} + b_l) for the hidden layers l = 1 .. L, f(x) = a_out(W_{L+1} h_L + b_{L+1}), with the
 * parameter blocks of layers.ts (W_l row-major, n_l x n_{l-1}) and the activations evaluated by the backend's own
 * activation kernel, so f is the function the loss C(w) = 1/(2N) sum_s ||f(x_s) - y_s||^2 of the kernels measures
 * (up to the order of the sums: test/29 checks it against NetworkKernel.loss).
 */
import { layerWidths, parameterBlocks } from "../backend/layers.js";
import type { Backend, NetworkShape } from "../backend/types.js";

/** The value of a per-layer field of a NetworkShape for hidden layer l (0-based). */
function atLayer(value: number | readonly number[], l: number): number {
  return typeof value === "number" ? value : value[l];
}

/**
 * networkOutputs(backend, shape, w, X) -> F
 *
 * The outputs of the network `shape` with parameters `w` (length D, the fixed order) at the N = X.length / inputs
 * points of X (N x inputs, row-major): F is N x outputs, row-major.
 */
export function networkOutputs(backend: Backend, shape: NetworkShape, w: Float64Array, X: Float64Array): Float64Array {
  const widths = layerWidths(shape);
  const blocks = parameterBlocks(shape);
  const D = blocks[blocks.length - 1].offset + blocks[blocks.length - 1].size;
  if (w.length !== D) throw new RangeError(`networkOutputs: w: expected D = ${D} numbers but received ${w.length}`);
  const inputs = widths[0];
  if (X.length % inputs !== 0) {
    throw new RangeError(`networkOutputs: X: expected N x ${inputs} numbers but received ${X.length}`);
  }
  const N = X.length / inputs;
  let h = X;
  for (let l = 1; l < widths.length; l++) {
    const W = blocks[2 * (l - 1)];
    const b = blocks[2 * (l - 1) + 1];
    const [nIn, nOut] = [widths[l - 1], widths[l]];
    const z = new Float64Array(N * nOut);
    for (let s = 0; s < N; s++) {
      for (let r = 0; r < nOut; r++) {
        let acc = w[b.offset + r];
        for (let c = 0; c < nIn; c++) acc += w[W.offset + r * nIn + c] * h[s * nIn + c];
        z[s * nOut + r] = acc;
      }
    }
    const last = l === widths.length - 1;
    const id = last ? shape.outputActivation : atLayer(shape.activation, l - 1);
    const param = last ? 0 : atLayer(shape.activationParam, l - 1);
    const f = new Float64Array(z.length);
    const scratch = new Float64Array(z.length);
    backend.activation(id, param, z, f, scratch, new Float64Array(z.length));
    h = f;
  }
  return h;
}
