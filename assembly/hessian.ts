// The exact Hessian of the loss of the three-layer network (L = 1; depth.ts picks these or the general kernels of
// deep_hessian.ts and deep_rop.ts), assembled from its structure, and exact Hessian-vector products.
// Twin: native/kernels/hessian.cc (same loops and order of operations; the SIMD loops are noted where they change
// the rounding, and the gemm-based parts round like native's built-in gemm).
//
// Derivation (see docs/derivations.md): with u = W2 a + b2, a = s(z), z = W1 x + b1, r = phi(u) - y,
//   H = 1/N sum_s [ sum_m cw_m g_m g_m^T + sum_m du_m Hess(u_m) ],   g_m = grad_w u_m,
//   cw_m = phi'(u_m)^2 + r_m phi''(u_m),  du_m = r_m phi'(u_m),
// and the second-order terms of the hidden layer are, with x~ = (x, 1) and da = W2^T du,
//   (W1~[j,.], W1~[j,.]) : da_j s''(z_j) x~ x~^T       (one (i+1) x (i+1) block per hidden unit)
//   (W2[m,j], W1~[j,.])  : du_m s'(z_j) x~             (and its transpose).
import { at, axpy_add, gemm, scale, symmetrize_upper, syrk_upper } from "./dense";
import { Network, network_reserve_factored, network_reserve_hessian } from "./network";

// Index of W1~[j, i] in w, where column i == nIn is the bias b1[j].
// @ts-ignore: decorator
@inline function w1_index(net: Network, j: i32, i: i32): i32 {
  return i < net.nIn ? j * net.nIn + i : net.offB1 + j;
}

// Row r = s o + m of G: grad_w u_m(x_s).
function fill_g_row(net: Network, w: usize, s: i32, m: i32, g: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const D = net.D;
  const W2 = at(w, net.offW2);
  const x = at(net.Xa, s * nIn);
  const a = at(net.a, s * h);
  const s1 = at(net.s1, s * h);
  memory.fill(g, 0, <usize>D << 3);
  for (let j = 0; j < h; ++j) {
    const c = load<f64>(at(W2, m * h + j)) * load<f64>(at(s1, j));
    const row = at(g, j * nIn);
    for (let i = 0; i < nIn; ++i) store<f64>(at(row, i), c * load<f64>(at(x, i)));
    store<f64>(at(g, net.offB1 + j), c);
    store<f64>(at(g, net.offW2 + m * h + j), load<f64>(at(a, j)));
  }
  store<f64>(at(g, net.offB2 + m), 1.0);
}

// H = G^T C G + S as its two factors: the rows of G (grad u_m(x_s)) to net.G, scaled by cw / N to net.Gs when
// `scaled`, and the summed second-order blocks S to net.Sblk and net.Sx (upper parts: Sblk[j][a][b] for a <= b). The
// buffers must have been reserved (network_reserve_hessian / network_reserve_factored).
export function hessian_factors(net: Network, w: usize, scaled: bool): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  const i1 = nIn + 1;
  const rows = N * o;
  const inv = 1.0 / N;
  const G = net.G;
  const rowBytes = <usize>D << 3;
  for (let r = 0; r < rows; ++r) {
    const g = G + <usize>r * rowBytes;
    fill_g_row(net, w, r / o, r % o, g);
    if (scaled) {
      const c = load<f64>(at(net.cw, r)) * inv;
      const gs = net.Gs + <usize>r * rowBytes;
      memory.copy(gs, g, rowBytes);
      scale(c, gs, D);
    }
  }
  const Sblk = net.Sblk;
  const Sx = net.Sx;
  memory.fill(Sblk, 0, (<usize>h * i1 * i1) << 3);
  memory.fill(Sx, 0, (<usize>o * h * i1) << 3);
  for (let s = 0; s < N; ++s) {
    const x = at(net.Xa, s * nIn);
    const s1 = at(net.s1, s * h);
    const s2 = at(net.s2, s * h);
    const da = at(net.da, s * h);
    const du = at(net.du, s * o);
    for (let j = 0; j < h; ++j) {
      const cdiag = load<f64>(at(da, j)) * load<f64>(at(s2, j)) * inv;
      const B = at(Sblk, j * i1 * i1);
      for (let a = 0; a < i1; ++a) {
        const xa = a < nIn ? load<f64>(at(x, a)) : 1.0;
        if (cdiag != 0.0) {
          const ca = cdiag * xa;
          for (let b = a; b < i1; ++b) {
            const e = at(B, a * i1 + b);
            store<f64>(e, load<f64>(e) + ca * (b < nIn ? load<f64>(at(x, b)) : 1.0));
          }
        }
        const cx = load<f64>(at(s1, j)) * xa * inv;
        for (let m = 0; m < o; ++m) {
          const e = at(Sx, (m * h + j) * i1 + a);
          store<f64>(e, load<f64>(e) + load<f64>(at(du, m)) * cx);
        }
      }
    }
  }
}

// H (D x D, symmetric, both triangles written) at the weights of the last mlp_forward: the Gauss-Newton part as a
// symmetric rank-(N o) update of the upper triangle (syrk_upper), the blocks of S, then the mirror. The explicit
// route's buffers are reserved here as a last resort (trapping when memory cannot grow).
export function hessian_explicit(net: Network, w: usize, H: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const D = net.D;
  const i1 = nIn + 1;
  if ((net.G == 0 || net.Gs == 0 || net.Sblk == 0) && !network_reserve_hessian(net)) unreachable();
  hessian_factors(net, w, true);
  // Gauss-Newton part: H = sum_r (cw_r / N) g_r g_r^T = Gs G^T with G, Gs as D x (N o) column-major.
  syrk_upper(D, net.Na * o, net.Gs, D, net.G, D, H, D);
  // Second-order terms (column-major upper triangle: H(p, q) at q D + p, p <= q; W1~ indices precede W2 indices).
  const Sblk = net.Sblk;
  const Sx = net.Sx;
  for (let j = 0; j < h; ++j) {
    const B = at(Sblk, j * i1 * i1);
    for (let a = 0; a < i1; ++a) {
      const p = w1_index(net, j, a);
      for (let b = a; b < i1; ++b) {
        const e = at(H, w1_index(net, j, b) * D + p);
        store<f64>(e, load<f64>(e) + load<f64>(at(B, a * i1 + b)));
      }
      for (let m = 0; m < o; ++m) {
        const e = at(H, (net.offW2 + m * h + j) * D + p);
        store<f64>(e, load<f64>(e) + load<f64>(at(Sx, (m * h + j) * i1 + a)));
      }
    }
  }
  symmetrize_upper(H, D, D);
}

// HV = H V for k vectors (D x k, column-major) in factored form, without H: HV = G^T (C (G V)) + S V, two thin
// products (gemm) and the structured S. O(N o D k) work, no D x D storage. Exact, like hvp_batch.
export function hessian_factored_apply(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const D = net.D;
  const i1 = nIn + 1;
  const rows = net.Na * o;
  if ((net.G == 0 || net.P == 0 || net.Sblk == 0) && !network_reserve_factored(net)) unreachable();
  hessian_factors(net, w, false);
  const P = net.P;
  const G = net.G;
  const inv = 1.0 / net.Na;
  // P = G V ((N o) x k), scaled row-wise by cw / N, then HV = G^T P.
  gemm(true, false, rows, k, D, 1.0, G, D, V, D, 0.0, P, rows);
  for (let c = 0; c < k; ++c) {
    const pc = at(P, c * rows);
    for (let r = 0; r < rows; ++r) store<f64>(at(pc, r), load<f64>(at(pc, r)) * (load<f64>(at(net.cw, r)) * inv));
  }
  gemm(false, false, D, k, rows, 1.0, G, D, P, rows, 0.0, HV, D);
  // + S V from the summed blocks: S is symmetric with the blocks Sblk (W1~[j,.], W1~[j,.]) and Sx (W2[m,j], W1~[j,.]).
  const Sblk = net.Sblk;
  const Sx = net.Sx;
  const offW2 = net.offW2;
  for (let c = 0; c < k; ++c) {
    const v = at(V, c * D);
    const hv = at(HV, c * D);
    for (let j = 0; j < h; ++j) {
      const B = at(Sblk, j * i1 * i1);
      for (let a = 0; a < i1; ++a) {
        let t = 0.0;
        for (let b = 0; b < i1; ++b)
          t += load<f64>(at(B, a <= b ? a * i1 + b : b * i1 + a)) * load<f64>(at(v, w1_index(net, j, b)));
        for (let m = 0; m < o; ++m) {
          const mj = m * h + j;
          t += load<f64>(at(Sx, mj * i1 + a)) * load<f64>(at(v, offW2 + mj));
        }
        const e = at(hv, w1_index(net, j, a));
        store<f64>(e, load<f64>(e) + t);
      }
      for (let m = 0; m < o; ++m) {
        const mj = m * h + j;
        let t = 0.0;
        for (let a = 0; a < i1; ++a) t += load<f64>(at(Sx, mj * i1 + a)) * load<f64>(at(v, w1_index(net, j, a)));
        const e = at(hv, offW2 + mj);
        store<f64>(e, load<f64>(e) + t);
      }
    }
  }
}

// HV = H V for k vectors (D x k, column-major), exactly, by the R-operator (Pearlmutter 1994) on every sample, from
// the caches of the last mlp_forward. O(N k D) work, no D x D storage. Columns are independent, so the host may
// split a large k into blocks without changing any result.
export function hvp_batch(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  const W2 = at(w, net.offW2);
  const inv = 1.0 / N;
  const rz = net.rz;
  const q = net.q;
  const colBytes = <usize>D << 3;
  // R-operator per sample: Rz = V1 x + vb1, Ru = V2 a + W2 (s' . Rz) + vb2 (= G v), then
  // H v = G^T (cw . Ru) + (second-order terms) v, accumulated over samples and scaled by 1/N.
  for (let c = 0; c < k; ++c) {
    const v = V + <usize>c * colBytes;
    const hv = HV + <usize>c * colBytes;
    memory.fill(hv, 0, colBytes);
    const V1 = v;
    const vb1 = at(v, net.offB1);
    const V2 = at(v, net.offW2);
    const vb2 = at(v, net.offB2);
    const hW1 = hv;
    const hb1 = at(hv, net.offB1);
    const hW2 = at(hv, net.offW2);
    const hb2 = at(hv, net.offB2);
    for (let s = 0; s < N; ++s) {
      const x = at(net.Xa, s * nIn);
      const a = at(net.a, s * h);
      const s1 = at(net.s1, s * h);
      const s2 = at(net.s2, s * h);
      const da = at(net.da, s * h);
      const du = at(net.du, s * o);
      const cw = at(net.cw, s * o);
      // Rz: short dot products over the inputs, scalar and in native's order.
      for (let j = 0; j < h; ++j) {
        let t = load<f64>(at(vb1, j));
        const v1row = at(V1, j * nIn);
        for (let i = 0; i < nIn; ++i) t += load<f64>(at(v1row, i)) * load<f64>(at(x, i));
        store<f64>(at(rz, j), t);
      }
      for (let m = 0; m < o; ++m) {
        const w2row = at(W2, m * h);
        const v2row = at(V2, m * h);
        // ru = vb2[m] + sum_j (v2row[j] a[j] + (w2row[j] s1[j]) rz[j]), the sum over j in f64x2 pairs: vb2[m] +
        // (lane0 + lane1) [+ the last term when h is odd] (native: left to right from vb2[m]).
        let acc = f64x2.splat(0.0);
        let j = 0;
        for (; j + 2 <= h; j += 2) {
          const off = <usize>j << 3;
          const t = f64x2.add(
            f64x2.mul(v128.load(v2row + off), v128.load(a + off)),
            f64x2.mul(f64x2.mul(v128.load(w2row + off), v128.load(s1 + off)), v128.load(rz + off)),
          );
          acc = f64x2.add(acc, t);
        }
        let ru = load<f64>(at(vb2, m)) + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
        if (j < h)
          ru +=
            load<f64>(at(v2row, j)) * load<f64>(at(a, j)) +
            load<f64>(at(w2row, j)) * load<f64>(at(s1, j)) * load<f64>(at(rz, j));
        const qm = load<f64>(at(cw, m)) * ru * inv;
        store<f64>(at(q, m), qm);
        const dm = load<f64>(at(du, m)) * inv;
        // h2row[j] += qm a[j] + (dm s1[j]) rz[j], f64x2 (bit-identical to native).
        const h2row = at(hW2, m * h);
        const qv = f64x2.splat(qm);
        const dv = f64x2.splat(dm);
        j = 0;
        for (; j + 2 <= h; j += 2) {
          const off = <usize>j << 3;
          const t = f64x2.add(
            f64x2.mul(qv, v128.load(a + off)),
            f64x2.mul(f64x2.mul(dv, v128.load(s1 + off)), v128.load(rz + off)),
          );
          v128.store(h2row + off, f64x2.add(v128.load(h2row + off), t));
        }
        if (j < h)
          store<f64>(
            at(h2row, j),
            load<f64>(at(h2row, j)) + (qm * load<f64>(at(a, j)) + dm * load<f64>(at(s1, j)) * load<f64>(at(rz, j))),
          );
        store<f64>(at(hb2, m), load<f64>(at(hb2, m)) + qm);
      }
      for (let j = 0; j < h; ++j) {
        let back = 0.0;
        for (let m = 0; m < o; ++m) {
          const mj = m * h + j;
          back += load<f64>(at(W2, mj)) * load<f64>(at(q, m)) + load<f64>(at(du, m)) * inv * load<f64>(at(V2, mj));
        }
        const beta = load<f64>(at(s1, j)) * back + load<f64>(at(da, j)) * load<f64>(at(s2, j)) * load<f64>(at(rz, j)) * inv;
        // h1row[i] += beta x[i] (bit-identical to native).
        axpy_add(beta, x, at(hW1, j * nIn), nIn);
        store<f64>(at(hb1, j), load<f64>(at(hb1, j)) + beta);
      }
    }
  }
}
