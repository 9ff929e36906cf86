/**
 * Floating-point operation counts of one gradient-descent step with its tangent map and QR, per route, shared by the
 * JSON and the table of bench/run.ts (and by the NumPy peer's figures, which are counted with the route it ran).
 * A multiply-add is 2 flops; activations, comparisons and copies count 0. Effective GFLOP/s = these counts x steps/s:
 * it counts the flops of the algorithm the backend actually ran (the route `auto` chose, or the peer's route), not of
 * a reference algorithm.
 *
 * Three-layer network i-h-o, N samples, D = h (i+1) + o (h+1) parameters, k tangent vectors, i1 = i + 1, QR every m
 * steps:
 *
 *   forward + gradient   2 N (2 h i + 3 o h + h + 2 o) + 2 D        z = W1 x + b1, u = W2 a + b2, da = W2^T du;
 *                                                                   gW1, gW2 and the biases; the update w -= eta g
 *   S (summed blocks)    N h (i1 (i1 + 1) + 2 o i1)                 hidden blocks (upper part) and W2-W1 blocks
 *   explicit Hessian     N o D (D + 1)                              Gauss-Newton upper triangle, sum_r c_r g_r g_r^T
 *                        + 2 D^2 k                                  the product H Q
 *   factored             4 N o D k + k (2 h i1^2 + 4 o h i1)        G Q and G^T (C G Q); S Q from the blocks
 *   hvp (R-operator)     2 N k (2 h i1 + 4 o h + 2 h)               per sample and vector (docs/derivations.md)
 *
 * L >= 2 hidden layers, widths n_0 .. n_{L+1}, S_all = sum_{l=1}^{L+1} n_l n_{l-1}, S_2 the same sum from l = 2
 * (the general kernels; native/kernels/tangent.cc deep_costs has the same counts):
 *
 *   forward + gradient   2 N (2 S_all + S_2 + n_1 + ... + n_L + 2 o) + 2 D
 *   explicit Hessian     sum over the blocks (p <= q) of layers: 2 N (n_{p-1} + 1) n_p D_q (the block's product over
 *                        the samples; on the diagonal only the upper part), the sample rows (N n_p D_q, 3 N n_p D_q
 *                        off the diagonal), the K and M recursion (2 N (n_q + n_{q-1}) n_p n_{p+1}) and
 *                        K^{(q-1,q-1)} (2 N n_{q-1}^2 n_q), D_q = n_q (n_{q-1} + 1); + 2 D^2 k for H Q
 *   factored             N k (4 S_all + 8 S_2)                       the R-operator on all samples by thin products
 *   hvp (R-operator)     N k (4 S_all + 11 S_2)                      per sample and vector
 *
 * Every rule and QR:
 *
 *   tangent update       r D k                                      the rule's tangent from H dw: r = 2 for gd
 *                                                                   (Q -= eta H Q), 4 momentum, 6 nesterov, 12 adam
 *   QR                   (4 S k^2 - 4 k^3 / 3) / m                  Householder R (2Sk^2 - 2k^3/3) and explicit thin Q
 *                                                                   (the same again), Golub & Van Loan 5.2.1 / 5.1.6;
 *                                                                   S = D, 2D or 3D, the state dimension of the rule
 */
import { layerWidths } from "../src/backend/layers.js";
import { TANGENT_ROUTES, type TangentRouteName } from "../src/backend/tables.js";
import type { BenchCase } from "./cases.js";
import { dimensionOf, kOf, stateDimensionOf } from "./cases.js";

/** Flops per parameter and tangent vector of each rule's tangent update (the kernels' loops). */
const RULE_TANGENT_FLOPS: Record<string, number> = { gd: 2, momentum: 4, nesterov: 6, adam: 12 };

export type RouteName = Exclude<TangentRouteName, "auto"> | "none";
export const ROUTE_NAMES: Record<number, RouteName> = Object.fromEntries(
  TANGENT_ROUTES.filter((r) => r.name !== "auto").map((r) => [r.id, r.name]),
);

export interface FlopCounts {
  forwardGradient: number;
  tangent: number;
  qr: number;
  total: number;
}

/** Forward + gradient and the tangent route's flops of a network of L >= 2 hidden layers (module comment). */
function deepCounts(n: number[], N: number, D: number, k: number, route: RouteName) {
  const L1 = n.length - 1;
  let sAll = 0;
  let s2 = 0;
  let hid = 0;
  for (let l = 1; l <= L1; l++) {
    sAll += n[l] * n[l - 1];
    if (l >= 2) s2 += n[l] * n[l - 1];
    if (l < L1) hid += n[l];
  }
  const forwardGradient = 2 * N * (2 * sAll + s2 + hid + 2 * n[L1]) + 2 * D;
  let tangent = 0;
  if (route === "hessian") {
    for (let q = L1; q >= 1; q--) {
      const Dq = n[q] * (n[q - 1] + 1);
      tangent += 2 * N * (n[q - 1] + 1) * (n[q] * Dq - (n[q - 1] * n[q] * (n[q] - 1)) / 2) + N * n[q] * Dq;
      for (let p = q - 1; p >= 1; p--)
        tangent += 2 * N * (n[q] + n[q - 1]) * n[p] * n[p + 1] + 2 * N * (n[p - 1] + 1) * n[p] * Dq + 3 * N * n[p] * Dq;
      if (q >= 2) tangent += 2 * N * n[q - 1] * n[q - 1] * n[q];
    }
    tangent += 2 * D * D * k;
  } else if (route === "factored") tangent = N * k * (4 * sAll + 8 * s2);
  else if (route === "hvp") tangent = N * k * (4 * sAll + 11 * s2);
  return { forwardGradient, tangent };
}

export function flopsPerStep(c: BenchCase, route: RouteName): FlopCounts {
  const N = c.samples;
  const n = layerWidths(c);
  const D = dimensionOf(c);
  const S = stateDimensionOf(c);
  const k = kOf(c);
  const rule = typeof c.optimizer === "object" ? c.optimizer.name : (c.optimizer ?? "gd");
  let forwardGradient: number;
  let tangent = 0;
  if (n.length > 3) {
    const counts = deepCounts(n, N, D, k, k > 0 ? route : "none");
    forwardGradient = counts.forwardGradient;
    tangent = counts.tangent;
  } else {
    const [i, h, o] = n;
    const i1 = i + 1;
    forwardGradient = 2 * N * (2 * h * i + 3 * o * h + h + 2 * o) + 2 * D;
    const sBlocks = N * h * (i1 * (i1 + 1) + 2 * o * i1);
    if (k > 0) {
      if (route === "hessian") tangent = sBlocks + N * o * D * (D + 1) + 2 * D * D * k;
      else if (route === "factored") tangent = sBlocks + 4 * N * o * D * k + k * (2 * h * i1 * i1 + 4 * o * h * i1);
      else if (route === "hvp") tangent = 2 * N * k * (2 * h * i1 + 4 * o * h + 2 * h);
    }
  }
  if (k > 0) tangent += RULE_TANGENT_FLOPS[rule] * D * k;
  const qr = k > 0 ? (4 * S * k * k - (4 * k * k * k) / 3) / c.qrEvery : 0;
  return { forwardGradient, tangent, qr, total: forwardGradient + tangent + qr };
}
