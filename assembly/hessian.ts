// The exact Hessian of the loss, assembled from its structure, and exact Hessian-vector products.
// Twin: native/kernels/hessian.cc (same loops and order of operations; the SIMD loops are noted where they change
// the rounding).
//
// Derivation (see docs/derivations.md): with u = W2 a + b2, a = s(z), z = W1 x + b1, r = phi(u) - y,
//   H = 1/N sum_s [ sum_m cw_m g_m g_m^T + sum_m du_m Hess(u_m) ],   g_m = grad_w u_m,
//   cw_m = phi'(u_m)^2 + r_m phi''(u_m),  du_m = r_m phi'(u_m),
// and the second-order terms of the hidden layer are, with x~ = (x, 1) and da = W2^T du,
//   (W1~[j,.], W1~[j,.]) : da_j s''(z_j) x~ x~^T       (one (i+1) x (i+1) block per hidden unit)
//   (W2[m,j], W1~[j,.])  : du_m s'(z_j) x~             (and its transpose).
import { at, axpy_add } from "./dense";
import { Network, network_reserve_hessian } from "./network";

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
  const x = at(net.X, s * nIn);
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

// H (D x D, symmetric, both triangles written) at the weights of the last mlp_forward. G must have been reserved
// (network_reserve_hessian; it is tried here as a last resort and traps when memory cannot grow).
export function hessian_explicit(net: Network, w: usize, H: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.N;
  const D = net.D;
  const rows = N * o;
  if (net.G == 0 && !network_reserve_hessian(net)) unreachable();
  const G = net.G;
  const rowBytes = <usize>D << 3;
  for (let s = 0; s < N; ++s)
    for (let m = 0; m < o; ++m) fill_g_row(net, w, s, m, G + <usize>(s * o + m) * rowBytes);
  memory.fill(H, 0, <usize>D * rowBytes);
  const inv = 1.0 / N;
  const cwp = net.cw;

  // Gauss-Newton part, upper triangle: H[p, q] += sum_r cw_r G[r, p] G[r, q], four rows of G at a time so that each
  // element of H is loaded and stored once per four rank-one updates. The q loop is f64x2 and computes each element
  // exactly as native: Hp[q] + (((e0 g0[q] + e1 g1[q]) + e2 g2[q]) + e3 g3[q]).
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const g0 = G + <usize>r * rowBytes;
    const g1 = g0 + rowBytes;
    const g2 = g1 + rowBytes;
    const g3 = g2 + rowBytes;
    const c0 = load<f64>(at(cwp, r)) * inv;
    const c1 = load<f64>(at(cwp, r + 1)) * inv;
    const c2 = load<f64>(at(cwp, r + 2)) * inv;
    const c3 = load<f64>(at(cwp, r + 3)) * inv;
    for (let p = 0; p < D; ++p) {
      const e0 = c0 * load<f64>(at(g0, p));
      const e1 = c1 * load<f64>(at(g1, p));
      const e2 = c2 * load<f64>(at(g2, p));
      const e3 = c3 * load<f64>(at(g3, p));
      if (e0 == 0.0 && e1 == 0.0 && e2 == 0.0 && e3 == 0.0) continue;
      const Hp = H + <usize>p * rowBytes;
      const v0 = f64x2.splat(e0);
      const v1 = f64x2.splat(e1);
      const v2 = f64x2.splat(e2);
      const v3 = f64x2.splat(e3);
      let q = p;
      for (; q + 2 <= D; q += 2) {
        const off = <usize>q << 3;
        let t = f64x2.mul(v0, v128.load(g0 + off));
        t = f64x2.add(t, f64x2.mul(v1, v128.load(g1 + off)));
        t = f64x2.add(t, f64x2.mul(v2, v128.load(g2 + off)));
        t = f64x2.add(t, f64x2.mul(v3, v128.load(g3 + off)));
        v128.store(Hp + off, f64x2.add(v128.load(Hp + off), t));
      }
      if (q < D) {
        const t =
          e0 * load<f64>(at(g0, q)) + e1 * load<f64>(at(g1, q)) + e2 * load<f64>(at(g2, q)) + e3 * load<f64>(at(g3, q));
        store<f64>(at(Hp, q), load<f64>(at(Hp, q)) + t);
      }
    }
  }
  for (; r < rows; ++r) {
    const g0 = G + <usize>r * rowBytes;
    const c0 = load<f64>(at(cwp, r)) * inv;
    for (let p = 0; p < D; ++p) {
      const e0 = c0 * load<f64>(at(g0, p));
      if (e0 == 0.0) continue;
      // Hp[q] += e0 g0[q] for q >= p (bit-identical to native).
      axpy_add(e0, at(g0, p), at(H + <usize>p * rowBytes, p), D - p);
    }
  }

  // Second-order terms of the hidden layer (upper triangle: W1~ indices precede W2 indices).
  const offW2 = net.offW2;
  for (let s = 0; s < N; ++s) {
    const x = at(net.X, s * nIn);
    const s1 = at(net.s1, s * h);
    const s2 = at(net.s2, s * h);
    const da = at(net.da, s * h);
    const du = at(net.du, s * o);
    for (let j = 0; j < h; ++j) {
      const cdiag = load<f64>(at(da, j)) * load<f64>(at(s2, j)) * inv;
      for (let i = 0; i <= nIn; ++i) {
        const xi = i < nIn ? load<f64>(at(x, i)) : 1.0;
        const p = w1_index(net, j, i);
        const Hp = H + <usize>p * rowBytes;
        if (cdiag != 0.0) {
          for (let i2 = 0; i2 <= nIn; ++i2) {
            const q = w1_index(net, j, i2);
            if (q >= p) store<f64>(at(Hp, q), load<f64>(at(Hp, q)) + cdiag * xi * (i2 < nIn ? load<f64>(at(x, i2)) : 1.0));
          }
        }
        const cx = load<f64>(at(s1, j)) * xi * inv;
        for (let m = 0; m < o; ++m) {
          const q = offW2 + m * h + j;
          store<f64>(at(Hp, q), load<f64>(at(Hp, q)) + load<f64>(at(du, m)) * cx);
        }
      }
    }
  }
  for (let p = 0; p < D; ++p)
    for (let q = p + 1; q < D; ++q) store<f64>(at(H, q * D + p), load<f64>(at(H, p * D + q)));
}

// HV = H V for k vectors (D x k, column-major), exactly, by the R-operator (Pearlmutter 1994) on every sample, from
// the caches of the last mlp_forward. O(N k D) work, no D x D storage. Columns are independent, so the host may
// split a large k into blocks without changing any result.
export function hvp_batch(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  const nIn = net.nIn;
  const h = net.nHid;
  const o = net.nOut;
  const N = net.N;
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
      const x = at(net.X, s * nIn);
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
