/**
 * The closed form of the loss Hessian of a deep linear network (every activation the identity), computed here with
 * plain matrix products, independently of the kernels' backpropagation (docs/derivations.md, "A deep linear network").
 *
 * With a_0 = x, a_l = W_l a_{l-1} + b_l, u = a_{L+1} and T_{l,q} = W_l W_{l-1} ... W_{q+1} (T_{q,q} = I), the output is
 * u = T_{L+1,q} a_q + (terms without layers <= q), so for a parameter W~_p[r,i] of layer p (a~_{p-1} = (a_{p-1}, 1))
 *   d u_m / d W~_p[r,i] = T_{L+1,p}[m,r] a~_{p-1,i}                                      (the rows J of the Jacobian)
 *   d^2 u_m / d W~_p[r,i] d W_q[k,j] = T_{L+1,q}[m,k] T_{q-1,p}[j,r] a~_{p-1,i}   (p < q, j < n_{q-1}; 0 for p = q)
 * and, with r = u - y, C = 1/(2N) sum_s ||r_s||^2:
 *   grad C = 1/N sum_s J_s^T r_s,   H = 1/N sum_s [ J_s^T J_s + sum_m r_{s,m} d^2 u_m ].
 * The Gauss-Newton part J^T J is the data covariance only when L = 0; the bilinear terms do not vanish off the
 * minimum.
 */

/** The widths n_0 .. n_{L+1} and the parameter layout W1, b1, ..., W_{L+1}, b_{L+1} (W row-major), written here again. */
export function linearLayout(widths: number[]) {
  const offW: number[] = [];
  const offB: number[] = [];
  let off = 0;
  for (let l = 1; l < widths.length; l++) {
    offW[l] = off;
    off += widths[l] * widths[l - 1];
    offB[l] = off;
    off += widths[l];
  }
  /** Index of W~_p[r, i] (i = n_{p-1}: the bias b_p[r]). */
  const index = (p: number, r: number, i: number) =>
    i < widths[p - 1] ? offW[p] + r * widths[p - 1] + i : offB[p] + r;
  return { D: off, offW, offB, index };
}

type Mat = number[][];
const eye = (n: number): Mat =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const mul = (A: Mat, B: Mat): Mat => A.map((row) => B[0].map((_, j) => row.reduce((s, a, k) => s + a * B[k][j], 0)));

/** grad C and H (row-major D x D) of the linear network at w on X (N x n_0), Y (N x n_{L+1}). */
export function linearClosedForm(widths: number[], w: Float64Array, X: Float64Array, Y: Float64Array) {
  const L1 = widths.length - 1; // L + 1 weight layers
  const { D, offW, offB, index } = linearLayout(widths);
  const W: Mat[] = [];
  for (let l = 1; l <= L1; l++)
    W[l] = Array.from({ length: widths[l] }, (_, r) =>
      Array.from({ length: widths[l - 1] }, (_, i) => w[offW[l] + r * widths[l - 1] + i]),
    );
  // T[l][q] = W_l ... W_{q+1}, for q <= l.
  const T: Mat[][] = [];
  for (let l = 0; l <= L1; l++) {
    T[l] = [];
    T[l][l] = eye(widths[l]);
    for (let q = l - 1; q >= 0; q--) T[l][q] = mul(T[l][q + 1], W[q + 1]);
  }
  const n0 = widths[0];
  const o = widths[L1];
  const N = X.length / n0;
  const grad = new Float64Array(D);
  const H = new Float64Array(D * D);
  for (let s = 0; s < N; s++) {
    const a: number[][] = [Array.from(X.subarray(s * n0, (s + 1) * n0))];
    for (let l = 1; l <= L1; l++)
      a[l] = W[l].map((row, r) => row.reduce((t, v, i) => t + v * a[l - 1][i], w[offB[l] + r]));
    const res = a[L1].map((u, m) => u - Y[s * o + m]);
    const at = (p: number, i: number) => (i < widths[p - 1] ? a[p - 1][i] : 1);
    for (let m = 0; m < o; m++) {
      const J = new Float64Array(D);
      for (let p = 1; p <= L1; p++)
        for (let r = 0; r < widths[p]; r++)
          for (let i = 0; i <= widths[p - 1]; i++) J[index(p, r, i)] = T[L1][p][m][r] * at(p, i);
      for (let x = 0; x < D; x++) {
        grad[x] += (J[x] * res[m]) / N;
        for (let y = 0; y < D; y++) H[x * D + y] += (J[x] * J[y]) / N;
      }
      for (let p = 1; p <= L1; p++)
        for (let q = p + 1; q <= L1; q++)
          for (let r = 0; r < widths[p]; r++)
            for (let i = 0; i <= widths[p - 1]; i++)
              for (let k = 0; k < widths[q]; k++)
                for (let j = 0; j < widths[q - 1]; j++) {
                  const v = (res[m] * T[L1][q][m][k] * T[q - 1][p][j][r] * at(p, i)) / N;
                  const x = index(p, r, i);
                  const y = index(q, k, j);
                  H[x * D + y] += v;
                  H[y * D + x] += v;
                }
    }
  }
  return { grad, H, D };
}
