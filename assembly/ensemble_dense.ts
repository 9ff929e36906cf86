// The two dense products of the explicit route for every run of an ensemble, with the runs on the lanes: the
// Gauss-Newton part C = G^T diag(w) G (upper triangle) and H V. Twin: the helpers of the same names in
// native/kernels/ensemble_hessian.cc (kept apart here so that ensemble_hessian.ts stays under 400 lines).
//
// The register tiles differ from native's (two rows by four columns, or four rows, of one lane-vector): V8 keeps
// the order of the code and has 16 vector registers, so a tile of eight accumulators of both f64x2 halves spilled;
// here the two halves run one after the other (hb: their byte offset) and a tile is two by three elements (measured
// 1.2 to 1.3 times faster on D = 7 and 31). Each element is still the same sum in the same order.
import { lv, splat, vadd, vmul } from "./lanes";

// C (n x n per lane, upper triangle) = sum_r (w_r G[r]) G[r]^T over `rows` rows of G (rows x n per lane) with the
// row weights w (rows per lane). native's tile is two rows p, p+1 by four columns q of one lane-vector; here a tile is
// two rows by three columns (C[p+1, p], below the diagonal, is computed too and left to be overwritten by the mirror,
// as in native), and the two halves of the lanes run one after the other (hb: their byte offset), so that a tile
// fits the 16 vector registers of V8's x64 code. Every element is the same sum in the same order:
// C[p, q] = sum_r (w_r G[r, p]) G[r, q], r ascending.
export function syrk_upper_lanes(n: i32, rows: i32, G: usize, w: usize, C: usize): void {
  const stride = (<usize>n) << 5;
  for (let hb: usize = 0; hb < 32; hb += 16) {
    let p = 0;
    for (; p + 2 <= n; p += 2) {
      let q = p;
      for (; q + 3 <= n; q += 3) {
        let a0 = splat(0.0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
        let gp = lv(G, p) + hb, gq = lv(G, q) + hb, wr = w + hb;
        for (let r = 0; r < rows; ++r) {
          const wv = v128.load(wr);
          const sp = vmul(wv, v128.load(gp));
          const sp1 = vmul(wv, v128.load(gp, 32));
          const g0 = v128.load(gq);
          const g1 = v128.load(gq, 32);
          const g2 = v128.load(gq, 64);
          a0 = vadd(a0, vmul(sp, g0));
          b0 = vadd(b0, vmul(sp1, g0));
          a1 = vadd(a1, vmul(sp, g1));
          b1 = vadd(b1, vmul(sp1, g1));
          a2 = vadd(a2, vmul(sp, g2));
          b2 = vadd(b2, vmul(sp1, g2));
          gp += stride;
          gq += stride;
          wr += 32;
        }
        const c = lv(C, q * n + p) + hb;
        v128.store(c, a0);
        v128.store(c, b0, 32);
        v128.store(c + stride, a1);
        v128.store(c + stride, b1, 32);
        v128.store(c + 2 * stride, a2);
        v128.store(c + 2 * stride, b2, 32);
      }
      for (; q < n; ++q) {
        let a0 = splat(0.0), b0 = a0;
        let gp = lv(G, p) + hb, gq = lv(G, q) + hb, wr = w + hb;
        for (let r = 0; r < rows; ++r) {
          const wv = v128.load(wr);
          const g = v128.load(gq);
          a0 = vadd(a0, vmul(vmul(wv, v128.load(gp)), g));
          b0 = vadd(b0, vmul(vmul(wv, v128.load(gp, 32)), g));
          gp += stride;
          gq += stride;
          wr += 32;
        }
        const c = lv(C, q * n + p) + hb;
        v128.store(c, a0);
        v128.store(c, b0, 32);
      }
    }
    for (; p < n; ++p) {
      let acc = splat(0.0);
      let gp = lv(G, p) + hb, wr = w + hb;
      for (let r = 0; r < rows; ++r) {
        acc = vadd(acc, vmul(vmul(v128.load(wr), v128.load(gp)), v128.load(gp)));
        gp += stride;
        wr += 32;
      }
      v128.store(lv(C, p * n + p) + hb, acc);
    }
  }
}

// HV = H V (H: n x n per lane, column-major, both triangles; V, HV: n x k per lane). native takes four rows at a time;
// here a tile is three rows by two columns of V, the two halves of the lanes one after the other (as
// syrk_upper_lanes). Every element is the same sum in the same order: HV[p, c] = sum_q H[p, q] V[q, c], q ascending.
export function symm_times_lanes(H: usize, n: i32, V: usize, k: i32, HV: usize): void {
  const stride = (<usize>n) << 5;
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    for (let hb: usize = 0; hb < 32; hb += 16) {
      const v = lv(V, c * n) + hb;
      const hv = lv(HV, c * n) + hb;
      let p = 0;
      for (; p + 3 <= n; p += 3) {
        let a0 = splat(0.0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
        let hq = lv(H, p) + hb, vq = v; // H(p .. p+2, q): column q, rows p ..
        for (let q = 0; q < n; ++q) {
          const x = v128.load(vq);
          const y = v128.load(vq + stride);
          const h0 = v128.load(hq);
          const h1 = v128.load(hq, 32);
          const h2 = v128.load(hq, 64);
          a0 = vadd(a0, vmul(h0, x));
          b0 = vadd(b0, vmul(h0, y));
          a1 = vadd(a1, vmul(h1, x));
          b1 = vadd(b1, vmul(h1, y));
          a2 = vadd(a2, vmul(h2, x));
          b2 = vadd(b2, vmul(h2, y));
          hq += stride;
          vq += 32;
        }
        const o = lv(hv, p);
        v128.store(o, a0);
        v128.store(o, a1, 32);
        v128.store(o, a2, 64);
        v128.store(o + stride, b0);
        v128.store(o + stride, b1, 32);
        v128.store(o + stride, b2, 64);
      }
      for (; p < n; ++p) {
        let a0 = splat(0.0), b0 = a0;
        let hq = lv(H, p) + hb, vq = v;
        for (let q = 0; q < n; ++q) {
          const h = v128.load(hq);
          a0 = vadd(a0, vmul(h, v128.load(vq)));
          b0 = vadd(b0, vmul(h, v128.load(vq + stride)));
          hq += stride;
          vq += 32;
        }
        v128.store(lv(hv, p), a0);
        v128.store(lv(hv, p) + stride, b0);
      }
    }
  }
  for (; c < k; ++c) {
    for (let hb: usize = 0; hb < 32; hb += 16) {
      const v = lv(V, c * n) + hb;
      const hv = lv(HV, c * n) + hb;
      for (let p = 0; p < n; ++p) {
        let acc = splat(0.0);
        let hq = lv(H, p) + hb, vq = v;
        for (let q = 0; q < n; ++q) {
          acc = vadd(acc, vmul(v128.load(hq), v128.load(vq)));
          hq += stride;
          vq += 32;
        }
        v128.store(lv(hv, p), acc);
      }
    }
  }
}

