// Householder QR with a positive diagonal of R for every lane of a batch of tangent blocks. Twin:
// native/kernels/ensemble_qr.{h,cc} (each native `lanes` value, and each of its per-lane scalar loops, a pair of f64x2
// halves here: lanes.ts).
import { f64At, LANES, ld0, ld1, lv, splat, st2, vadd, vdiv, vmul, vsel, vsub } from "./lanes";

// H_j (rows j .. n-1; v_j[0] = 1 and v_j below the diagonal of column j) on the columns [c0, c1) of every lane. Four
// columns at a time, as native, with the two halves of the lanes one after the other here (hb: their byte offset),
// which keeps a tile in the 16 vector registers (native also takes the last one to three columns together). Each
// column's sums run in the same order either way. tauj: the lane-vector tau_j.
function reflect_columns_lanes(A: usize, n: i32, j: i32, tauj: usize, c0: i32, c1: i32): void {
  const len = n - j;
  const colBytes = (<usize>n) << 5;
  for (let hb: usize = 0; hb < 32; hb += 16) {
    const v = lv(A, j * n + j) + hb;
    const tau = v128.load(tauj + hb);
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const t = lv(A, c * n + j) + hb;
      let s0 = v128.load(t), s1 = v128.load(t + colBytes), s2 = v128.load(t + 2 * colBytes);
      let s3 = v128.load(t + 3 * colBytes);
      for (let i = 1; i < len; ++i) {
        const vi = v128.load(lv(v, i));
        const ti = lv(t, i);
        s0 = vadd(s0, vmul(vi, v128.load(ti)));
        s1 = vadd(s1, vmul(vi, v128.load(ti + colBytes)));
        s2 = vadd(s2, vmul(vi, v128.load(ti + 2 * colBytes)));
        s3 = vadd(s3, vmul(vi, v128.load(ti + 3 * colBytes)));
      }
      s0 = vmul(s0, tau);
      s1 = vmul(s1, tau);
      s2 = vmul(s2, tau);
      s3 = vmul(s3, tau);
      // Row 0 of v_j is an implicit 1: t_0 - s, then t_i - s v_i below it.
      v128.store(t, vsub(v128.load(t), s0));
      v128.store(t + colBytes, vsub(v128.load(t + colBytes), s1));
      v128.store(t + 2 * colBytes, vsub(v128.load(t + 2 * colBytes), s2));
      v128.store(t + 3 * colBytes, vsub(v128.load(t + 3 * colBytes), s3));
      for (let i = 1; i < len; ++i) {
        const ti = lv(t, i);
        const vi = v128.load(lv(v, i));
        v128.store(ti, vsub(v128.load(ti), vmul(s0, vi)));
        v128.store(ti + colBytes, vsub(v128.load(ti + colBytes), vmul(s1, vi)));
        v128.store(ti + 2 * colBytes, vsub(v128.load(ti + 2 * colBytes), vmul(s2, vi)));
        v128.store(ti + 3 * colBytes, vsub(v128.load(ti + 3 * colBytes), vmul(s3, vi)));
      }
    }
    for (; c < c1; ++c) {
      const t = lv(A, c * n + j) + hb;
      let s = v128.load(t);
      for (let i = 1; i < len; ++i) s = vadd(s, vmul(v128.load(lv(v, i)), v128.load(lv(t, i))));
      s = vmul(s, tau);
      v128.store(t, vsub(v128.load(t), s));
      for (let i = 1; i < len; ++i) {
        const ti = lv(t, i);
        v128.store(ti, vsub(v128.load(ti), vmul(s, v128.load(lv(v, i)))));
      }
    }
  }
}

// The reflector of column j of one half (two lanes) from alpha = A_jj and sigma = sum_{i>j} A_ij^2: tau_j and the new
// A_jj = beta to their addresses, the scale of v_j below the diagonal returned. A column that is already upper
// triangular (sigma = 0) gets tau_j = 0, scale 1 and R_jj = alpha.
// @ts-ignore: decorator
@inline function reflector_half(alpha: v128, sigma: v128, tau: usize, cj: usize): v128 {
  const done = f64x2.eq(sigma, splat(0.0));
  const norm = f64x2.sqrt(f64x2.add(vmul(alpha, alpha), sigma));
  const beta = vsel(f64x2.le(alpha, splat(0.0)), norm, f64x2.neg(norm));
  v128.store(tau, vsel(done, splat(0.0), vdiv(vsub(beta, alpha), beta)));
  v128.store(cj, vsel(done, alpha, beta));
  return vsel(done, splat(1.0), vdiv(splat(1.0), vsub(alpha, beta)));
}

/**
 * A: n x k per lane (column c of lane b at [(c n + i) LANES + b], k <= n) = Q R; A is overwritten by the thin Q with
 * R_jj >= 0, log|R_jj| goes to logRDiag[j LANES + b]. tau: k LANES scratch. The algorithm of qr.ts, unblocked (the ensembles are small networks):
 * H_j = I - tau_j v_j v_j^T, then Q = H_0 ... H_{k-1} [I; 0] backwards, each column's sign fixed as it is finished.
 */
export function qr_positive_lanes(A: usize, n: i32, k: i32, logRDiag: usize, tau: usize): void {
  for (let j = 0; j < k; ++j) {
    const col = lv(A, j * n);
    let g0 = splat(0.0), g1 = g0;
    for (let i = j + 1; i < n; ++i) {
      const x = lv(col, i);
      g0 = vadd(g0, vmul(ld0(x), ld0(x)));
      g1 = vadd(g1, vmul(ld1(x), ld1(x)));
    }
    const cj = lv(col, j);
    const tj = lv(tau, j);
    const sc0 = reflector_half(ld0(cj), g0, tj, cj);
    const sc1 = reflector_half(ld1(cj), g1, tj + 16, cj + 16);
    for (let i = j + 1; i < n; ++i) {
      const x = lv(col, i);
      st2(x, vmul(ld0(x), sc0), vmul(ld1(x), sc1));
    }
    reflect_columns_lanes(A, n, j, tj, j + 1, k);
  }
  for (let j = 0; j < k; ++j) {
    const d = lv(A, j * n + j);
    for (let b = 0; b < LANES; ++b) {
      store<f64>(f64At(logRDiag, j * LANES + b), Math.log(Math.abs(load<f64>(f64At(d, b)))));
    }
  }
  const zero = splat(0.0);
  const one = splat(1.0);
  for (let j = k - 1; j >= 0; --j) {
    const col = lv(A, j * n);
    const tj = lv(tau, j);
    const cj = lv(col, j);
    const sg0 = vsel(f64x2.lt(ld0(cj), zero), splat(-1.0), one);
    const sg1 = vsel(f64x2.lt(ld1(cj), zero), splat(-1.0), one);
    reflect_columns_lanes(A, n, j, tj, j + 1, k);
    const t0 = ld0(tj);
    const t1 = ld1(tj);
    const id0 = f64x2.eq(t0, zero);
    const id1 = f64x2.eq(t1, zero);
    st2(cj, vmul(vsel(id0, one, vsub(one, t0)), sg0), vmul(vsel(id1, one, vsub(one, t1)), sg1));
    const m0 = f64x2.neg(t0);
    const m1 = f64x2.neg(t1);
    for (let i = j + 1; i < n; ++i) {
      const x = lv(col, i);
      st2(x, vsel(id0, zero, vmul(vmul(m0, ld0(x)), sg0)), vsel(id1, zero, vmul(vmul(m1, ld1(x)), sg1)));
    }
    memory.fill(col, 0, (<usize>j) << 5);
  }
}
