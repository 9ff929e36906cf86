// The Hessian of every run of an ensemble (docs/derivations.md), the twin of hessian.ts with the runs on the lanes:
// H = G^T C G + S with G the rows grad u_m(x_s), C = diag(cw / N), S the second-order blocks; or H V by the
// R-operator. The three tangent routes of hessian.ts for every run: HV = H V for k vectors per run (V, HV: D x k per
// lane, column c of run b at [(c D + p) LANES + b]). Twin: native/kernels/ensemble_hessian.{h,cc}: the same loops, each
// native `lanes` value a pair of f64x2 halves here (lanes.ts); every lane runs the same operations in the same order.
// native's dense helpers syrk_upper_lanes and symm_times_lanes are in ensemble_dense.ts (this file would pass 400
// lines). The workspaces of the route must have been reserved (ensemble_reserve_hessian / ensemble_reserve_factored).
import { Ensemble } from "./ensemble";
import { symm_times_lanes, syrk_upper_lanes } from "./ensemble_dense";
import { acc_lanes, add2, f64At, ld0, ld1, lv, splat, st2, vadd, vmul, zero_lanes } from "./lanes";
import { ROUTE_FACTORED, ROUTE_HESSIAN } from "./tables";

// Index of W1~[j, i] in w, where column i == nIn is the bias b1[j].
// @ts-ignore: decorator
@inline function w1_index(e: Ensemble, j: i32, i: i32): i32 {
  return i < e.nIn ? j * e.nIn + i : e.offB1 + j;
}

// G rows grad u_m(x_s) of every lane (row r = s o + m: the W1 and b1 entries W2[m,j] s'(z_j) x~, the W2 block of
// output m holding a, b2[m] = 1, zeros for the other outputs). (The fields of e are read into locals first, as in
// ensemble_forward.)
function ensemble_rows(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const D = e.D;
  const offB1 = e.offB1;
  const offW2 = e.offW2;
  const offB2 = e.offB2;
  const Xa = e.Xa;
  const G = e.G;
  const A = e.a;
  const S1 = e.s1;
  const W2 = lv(e.state, offW2);
  const zero = splat(0.0);
  const one = splat(1.0);
  for (let s = 0; s < N; ++s) {
    const x = f64At(Xa, s * nIn);
    const as = lv(A, s * h);
    const s1s = lv(S1, s * h);
    for (let m = 0; m < o; ++m) {
      const g = lv(G, (s * o + m) * D);
      for (let j = 0; j < h; ++j) {
        const wp = lv(W2, m * h + j);
        const sp = lv(s1s, j);
        const c0 = vmul(ld0(wp), ld0(sp));
        const c1 = vmul(ld1(wp), ld1(sp));
        const gj = lv(g, j * nIn);
        for (let i = 0; i < nIn; ++i) {
          const xi = splat(load<f64>(f64At(x, i)));
          st2(lv(gj, i), vmul(c0, xi), vmul(c1, xi));
        }
        st2(lv(g, offB1 + j), c0, c1);
      }
      for (let m2 = 0; m2 < o; ++m2) {
        const gm = lv(g, offW2 + m2 * h);
        if (m2 == m) {
          for (let j = 0; j < h; ++j) {
            const aj = lv(as, j);
            st2(lv(gm, j), ld0(aj), ld1(aj));
          }
          st2(lv(g, offB2 + m2), one, one);
        } else {
          zero_lanes(gm, h);
          st2(lv(g, offB2 + m2), zero, zero);
        }
      }
    }
  }
}

// The summed second-order blocks Sblk, Sx of every lane (docs/derivations.md), as native: each entry summed over the
// samples in a register pair (samples innermost, in order), Sblk[j][a][c] = sum_s ((da s'' / N) x~_a) x~_c for c >= a
// and Sx[m][j][a] = sum_s du_m ((s' x~_a) / N). (Summing them sample by sample into memory took a fifth of a lockstep
// step at D = 7: every term was a load, an add and a store.)
function ensemble_second_order(e: Ensemble): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const i1 = nIn + 1;
  const Xa = e.Xa;
  const S1 = e.s1;
  const S2 = e.s2;
  const DA = e.da;
  const DU = e.du;
  const Sblk = e.Sblk;
  const Sx = e.Sx;
  // Every Sx entry and every upper Sblk entry (c >= a) is written below; the lower triangle of Sblk is never read.
  const inv = splat(1.0 / N);
  for (let j = 0; j < h; ++j) {
    for (let a = 0; a < i1; ++a) {
      for (let c2 = a; c2 < i1; ++c2) {
        let acc0 = splat(0.0), acc1 = acc0;
        for (let s = 0; s < N; ++s) {
          const sj = s * h + j;
          const dap = lv(DA, sj);
          const s2p = lv(S2, sj);
          const x = f64At(Xa, s * nIn);
          const xa = splat(a < nIn ? load<f64>(f64At(x, a)) : 1.0);
          const xc = splat(c2 < nIn ? load<f64>(f64At(x, c2)) : 1.0);
          acc0 = vadd(acc0, vmul(vmul(vmul(vmul(ld0(dap), ld0(s2p)), inv), xa), xc));
          acc1 = vadd(acc1, vmul(vmul(vmul(vmul(ld1(dap), ld1(s2p)), inv), xa), xc));
        }
        st2(lv(Sblk, j * i1 * i1 + a * i1 + c2), acc0, acc1);
      }
      for (let m = 0; m < o; ++m) {
        let acc0 = splat(0.0), acc1 = acc0;
        for (let s = 0; s < N; ++s) {
          const s1p = lv(S1, s * h + j);
          const dup = lv(DU, s * o + m);
          const xa = splat(a < nIn ? load<f64>(f64At(f64At(Xa, s * nIn), a)) : 1.0);
          acc0 = vadd(acc0, vmul(ld0(dup), vmul(vmul(ld0(s1p), xa), inv)));
          acc1 = vadd(acc1, vmul(ld1(dup), vmul(vmul(ld1(s1p), xa), inv)));
        }
        st2(lv(Sx, (m * h + j) * i1 + a), acc0, acc1);
      }
    }
  }
}

// + S V from the summed blocks (the second-order part of the explicit and factored routes).
function add_s_times(e: Ensemble, V: usize, k: i32, HV: usize): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const D = e.D;
  const i1 = nIn + 1;
  for (let c = 0; c < k; ++c) {
    const v = lv(V, c * D);
    const hv = lv(HV, c * D);
    for (let j = 0; j < h; ++j) {
      const B = lv(e.Sblk, j * i1 * i1);
      for (let a = 0; a < i1; ++a) {
        let t0 = splat(0.0), t1 = t0;
        for (let c2 = 0; c2 < i1; ++c2) {
          const bac = lv(B, a <= c2 ? a * i1 + c2 : c2 * i1 + a);
          const vb = lv(v, w1_index(e, j, c2));
          t0 = vadd(t0, vmul(ld0(bac), ld0(vb)));
          t1 = vadd(t1, vmul(ld1(bac), ld1(vb)));
        }
        for (let m = 0; m < o; ++m) {
          const mj = m * h + j;
          const sx = lv(e.Sx, mj * i1 + a);
          const vm = lv(v, e.offW2 + mj);
          t0 = vadd(t0, vmul(ld0(sx), ld0(vm)));
          t1 = vadd(t1, vmul(ld1(sx), ld1(vm)));
        }
        const out = lv(hv, w1_index(e, j, a));
        add2(out, t0, t1);
      }
      for (let m = 0; m < o; ++m) {
        const mj = m * h + j;
        let t0 = splat(0.0), t1 = t0;
        for (let a = 0; a < i1; ++a) {
          const sx = lv(e.Sx, mj * i1 + a);
          const va = lv(v, w1_index(e, j, a));
          t0 = vadd(t0, vmul(ld0(sx), ld0(va)));
          t1 = vadd(t1, vmul(ld1(sx), ld1(va)));
        }
        const out = lv(hv, e.offW2 + mj);
        add2(out, t0, t1);
      }
    }
  }
}

// P = G V, scaled row-wise by cw / N; then HV = G^T P + S V.
function factored_apply(e: Ensemble, V: usize, k: i32, HV: usize): void {
  const D = e.D;
  const rows = e.Na * e.nOut;
  ensemble_rows(e);
  ensemble_second_order(e);
  const inv = splat(1.0 / e.Na);
  for (let c = 0; c < k; ++c) {
    const v = lv(V, c * D);
    for (let r = 0; r < rows; ++r) {
      const g = lv(e.G, r * D);
      let a0 = splat(0.0), a1 = a0;
      for (let p = 0; p < D; ++p) {
        const gp = lv(g, p);
        const vp = lv(v, p);
        a0 = vadd(a0, vmul(ld0(gp), ld0(vp)));
        a1 = vadd(a1, vmul(ld1(gp), ld1(vp)));
      }
      const cw = lv(e.cw, r);
      st2(lv(e.P, c * rows + r), vmul(a0, vmul(ld0(cw), inv)), vmul(a1, vmul(ld1(cw), inv)));
    }
    const hv = lv(HV, c * D);
    zero_lanes(hv, D);
    for (let r = 0; r < rows; ++r) {
      const g = lv(e.G, r * D);
      const pr = lv(e.P, c * rows + r);
      const pr0 = ld0(pr);
      const pr1 = ld1(pr);
      for (let p = 0; p < D; ++p) {
        const hp = lv(hv, p);
        const gp = lv(g, p);
        add2(hp, vmul(ld0(gp), pr0), vmul(ld1(gp), pr1));
      }
    }
  }
  add_s_times(e, V, k, HV);
}

// H V by the R-operator, sample by sample (hessian.ts: hvp), for every lane.
function hvp_lanes(e: Ensemble, V: usize, k: i32, HV: usize): void {
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const N = e.Na;
  const D = e.D;
  const W2 = lv(e.state, e.offW2);
  const inv = splat(1.0 / N);
  const rz = e.rz;
  const q = e.q;
  for (let c = 0; c < k; ++c) {
    const v = lv(V, c * D);
    const hv = lv(HV, c * D);
    zero_lanes(hv, D);
    const vb1 = lv(v, e.offB1);
    const V2 = lv(v, e.offW2);
    const vb2 = lv(v, e.offB2);
    const hb1 = lv(hv, e.offB1);
    const hW2 = lv(hv, e.offW2);
    const hb2 = lv(hv, e.offB2);
    for (let s = 0; s < N; ++s) {
      const x = f64At(e.Xa, s * nIn);
      for (let j = 0; j < h; ++j) {
        const bj = lv(vb1, j);
        let r0 = ld0(bj);
        let r1 = ld1(bj);
        for (let i = 0; i < nIn; ++i) {
          const xi = splat(load<f64>(f64At(x, i)));
          const vji = lv(v, j * nIn + i);
          r0 = vadd(r0, vmul(ld0(vji), xi));
          r1 = vadd(r1, vmul(ld1(vji), xi));
        }
        st2(lv(rz, j), r0, r1);
      }
      for (let m = 0; m < o; ++m) {
        const bm = lv(vb2, m);
        let u0 = ld0(bm);
        let u1 = ld1(bm);
        for (let j = 0; j < h; ++j) {
          const mj = m * h + j;
          const sj = s * h + j;
          const v2 = lv(V2, mj);
          const w2 = lv(W2, mj);
          const ap = lv(e.a, sj);
          const sp = lv(e.s1, sj);
          const rj = lv(rz, j);
          u0 = vadd(u0, vadd(vmul(ld0(v2), ld0(ap)), vmul(vmul(ld0(w2), ld0(sp)), ld0(rj))));
          u1 = vadd(u1, vadd(vmul(ld1(v2), ld1(ap)), vmul(vmul(ld1(w2), ld1(sp)), ld1(rj))));
        }
        const sm = s * o + m;
        const cw = lv(e.cw, sm);
        const dup = lv(e.du, sm);
        const q0 = vmul(vmul(ld0(cw), u0), inv);
        const q1 = vmul(vmul(ld1(cw), u1), inv);
        const d0 = vmul(ld0(dup), inv);
        const d1 = vmul(ld1(dup), inv);
        st2(lv(q, m), q0, q1);
        for (let j = 0; j < h; ++j) {
          const mj = m * h + j;
          const sj = s * h + j;
          const ap = lv(e.a, sj);
          const sp = lv(e.s1, sj);
          const rj = lv(rz, j);
          const out = lv(hW2, mj);
          add2(out, vadd(vmul(q0, ld0(ap)), vmul(vmul(d0, ld0(sp)), ld0(rj))), vadd(vmul(q1, ld1(ap)), vmul(vmul(d1, ld1(sp)), ld1(rj))));
        }
        const ob = lv(hb2, m);
        add2(ob, q0, q1);
      }
      for (let j = 0; j < h; ++j) {
        const sj = s * h + j;
        let b0 = splat(0.0), b1 = b0;
        for (let m = 0; m < o; ++m) {
          const mj = m * h + j;
          const w2 = lv(W2, mj);
          const qm = lv(q, m);
          const dup = lv(e.du, s * o + m);
          const v2 = lv(V2, mj);
          b0 = vadd(b0, vadd(vmul(ld0(w2), ld0(qm)), vmul(vmul(ld0(dup), inv), ld0(v2))));
          b1 = vadd(b1, vadd(vmul(ld1(w2), ld1(qm)), vmul(vmul(ld1(dup), inv), ld1(v2))));
        }
        const sp = lv(e.s1, sj);
        const dap = lv(e.da, sj);
        const s2p = lv(e.s2, sj);
        const rj = lv(rz, j);
        const be0 = vadd(vmul(ld0(sp), b0), vmul(vmul(vmul(ld0(dap), ld0(s2p)), ld0(rj)), inv));
        const be1 = vadd(vmul(ld1(sp), b1), vmul(vmul(vmul(ld1(dap), ld1(s2p)), ld1(rj)), inv));
        for (let i = 0; i < nIn; ++i) {
          const xi = splat(load<f64>(f64At(x, i)));
          const hji = lv(hv, j * nIn + i);
          add2(hji, vmul(be0, xi), vmul(be1, xi));
        }
        const ob = lv(hb1, j);
        add2(ob, be0, be1);
      }
    }
  }
}

/** The explicit H (D x D per lane, both triangles) from the caches of the last ensemble_forward. */
export function ensemble_hessian_explicit(e: Ensemble): void {
  const D = e.D;
  ensemble_rows(e);
  ensemble_second_order(e);
  const H = e.H;
  // The Gauss-Newton part with the row weights cw / N.
  const rows = e.Na * e.nOut;
  const inv = splat(1.0 / e.Na);
  for (let r = 0; r < rows; ++r) {
    const cw = lv(e.cw, r);
    st2(lv(e.Gs, r), vmul(ld0(cw), inv), vmul(ld1(cw), inv));
  }
  syrk_upper_lanes(D, rows, e.G, e.Gs, H);
  const nIn = e.nIn;
  const h = e.nHid;
  const o = e.nOut;
  const i1 = nIn + 1;
  for (let j = 0; j < h; ++j) {
    const B = lv(e.Sblk, j * i1 * i1);
    for (let a = 0; a < i1; ++a) {
      const p = w1_index(e, j, a);
      for (let c2 = a; c2 < i1; ++c2) acc_lanes(lv(H, w1_index(e, j, c2) * D + p), lv(B, a * i1 + c2));
      for (let m = 0; m < o; ++m) {
        const mj = m * h + j;
        acc_lanes(lv(H, (e.offW2 + mj) * D + p), lv(e.Sx, mj * i1 + a));
      }
    }
  }
  // Mirror the upper triangle (column q, rows p < q) into the lower.
  for (let q = 0; q < D; ++q) {
    for (let p = 0; p < q; ++p) {
      const src = lv(H, q * D + p);
      st2(lv(H, p * D + q), ld0(src), ld1(src));
    }
  }
}

/** HV = H V by the route (ROUTE_HESSIAN, ROUTE_HVP or ROUTE_FACTORED; not auto), from the caches of the last
 *  ensemble_forward. */
export function ensemble_hessian_apply(e: Ensemble, V: usize, k: i32, HV: usize, route: i32): void {
  if (route == ROUTE_HESSIAN) {
    ensemble_hessian_explicit(e);
    symm_times_lanes(e.H, e.D, V, k, HV);
  } else if (route == ROUTE_FACTORED) {
    factored_apply(e, V, k, HV);
  } else {
    hvp_lanes(e, V, k, HV);
  }
}
