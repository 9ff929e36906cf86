/** Finite-difference Jacobians for the tangent-map tests (the independent truth of an exact tangent). */

/**
 * The Jacobian of F at x by central differences, column-major m x n for F: R^n -> R^m (column p = dF/dx_p, at
 * J[p m ...]): the three-point stencil
 * (F(x + h e_p) - F(x - h e_p)) / 2h, O(h^2), or with points = 5 the five-point one, O(h^4) (for maps with large third
 * derivatives, such as Adam's 1 / sqrt(v)).
 */
export function fdJacobian(
  F: (x: Float64Array) => Float64Array,
  x: Float64Array,
  h: number,
  points: 3 | 5 = 3,
): Float64Array {
  const n = x.length;
  const at = (p: number, d: number) => {
    const y = x.slice();
    y[p] += d;
    return F(y);
  };
  let J = new Float64Array(0);
  let m = 0;
  for (let p = 0; p < n; p++) {
    const f = points === 3 ? [at(p, h), at(p, -h)] : [at(p, 2 * h), at(p, h), at(p, -h), at(p, -2 * h)];
    if (p === 0) {
      m = f[0].length;
      J = new Float64Array(m * n);
    }
    for (let i = 0; i < m; i++) {
      J[p * m + i] =
        points === 3 ? (f[0][i] - f[1][i]) / (2 * h) : (8 * (f[1][i] - f[2][i]) - (f[0][i] - f[3][i])) / (12 * h);
    }
  }
  return J;
}

export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/**
 * max |a - b| / max |b| (0 when both are zero). Throws when the lengths differ, so a result that is too short (or
 * too long) never passes by being compared only over its own length.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d === 0 ? 0 : d / maxAbs(b);
}
