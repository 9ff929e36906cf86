// Hessian-vector products of a network of any depth by the R-operator (Pearlmutter 1994), exactly, without H.
// Twin: native/kernels/deep_rop.{h,cc} (same loops and products, same order). Derivation: docs/derivations.md,
// "L hidden layers".
//
// For a direction v = (V_1, vb_1, ..., V_{L+1}, vb_{L+1}), per sample (R a_0 = 0):
//   forward   R z_l = V_l a_{l-1} + vb_l + W_l R a_{l-1},  R a_l = s_l' R z_l,  R u = R z_{L+1} (= G v)
//   backward  R delta_{L+1} = cw . R u,  R ga_l = W_{l+1}^T R delta_{l+1} + V_{l+1}^T delta_{l+1},
//             R delta_l = R ga_l . s_l' + ga_l . s_l'' . R z_l
//   (H v)_{W_l} = 1/N sum_s (R delta_l a_{l-1}^T + delta_l R a_{l-1}^T),  (H v)_{b_l} = 1/N sum_s R delta_l.
// Route factored is this R-operator on all samples at once rather than G^T (C (G V)) + S V with G stored: for L >= 2, S
// couples every pair of layers, so S V alone costs a whole R-operator pass, and that form would cost the hvp route
// plus two products with G; here one pass forms all of H V at the rate of thin gemms.
import { layer_input, layer_row, offB, offW } from "./deep_mlp";
import { at, gemm } from "./dense";
import { deep_factored_block, i32At, Network, network_reserve_factored } from "./network";

// HV = H V for k vectors (D x k, column-major), sample by sample (route hvp), from the caches of the last deep_forward.
export function deep_hvp_batch(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  const L = net.L;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  const h = i32At(net.width, L);
  const inv = 1.0 / N;
  const rz = net.rd; // R z of every hidden layer, at hidOff
  const rdA = at(rz, net.hidSum);
  const rdB = at(rdA, net.nMax);
  const WL = at(w, offW(net, L + 1));
  for (let c = 0; c < k; ++c) {
    const v = at(V, c * D);
    const hv = at(HV, c * D);
    memory.fill(hv, 0, (<usize>D) << 3);
    const VL = at(v, offW(net, L + 1));
    const vbL = at(v, offB(net, L + 1));
    for (let s = 0; s < N; ++s) {
      // Forward: R z_l = vb_l + V_l a_{l-1} + W_l (s'_{l-1} . R z_{l-1}).
      for (let l = 1; l <= L; ++l) {
        const n = i32At(net.width, l);
        const np = i32At(net.width, l - 1);
        const Vl = at(v, offW(net, l));
        const vb = at(v, offB(net, l));
        const Wl = at(w, offW(net, l));
        const x = layer_input(net, l, s);
        const rzl = at(rz, i32At(net.hidOff, l - 1));
        const rzp: usize = l > 1 ? at(rz, i32At(net.hidOff, l - 2)) : 0;
        const s1p: usize = l > 1 ? layer_row(net.s1, net, l - 1, s) : 0;
        for (let j = 0; j < n; ++j) {
          let t = load<f64>(at(vb, j));
          const vrow = at(Vl, j * np);
          for (let i = 0; i < np; ++i) t += load<f64>(at(vrow, i)) * load<f64>(at(x, i));
          if (l > 1) {
            const wrow = at(Wl, j * np);
            for (let i = 0; i < np; ++i) t += load<f64>(at(wrow, i)) * load<f64>(at(s1p, i)) * load<f64>(at(rzp, i));
          }
          store<f64>(at(rzl, j), t);
        }
      }
      // Output: R u, the source R delta_{L+1} = cw . R u / N, and the gradient of layer L+1.
      const aL = layer_row(net.a, net, L, s);
      const s1L = layer_row(net.s1, net, L, s);
      const rzL = at(rz, i32At(net.hidOff, L - 1));
      const du = at(net.du, s * o);
      const cw = at(net.cw, s * o);
      let rdn = rdA;
      let rdc = rdB;
      for (let m = 0; m < o; ++m) {
        const wrow = at(WL, m * h);
        const vrow = at(VL, m * h);
        let ru = load<f64>(at(vbL, m));
        for (let j = 0; j < h; ++j)
          ru +=
            load<f64>(at(vrow, j)) * load<f64>(at(aL, j)) +
            load<f64>(at(wrow, j)) * load<f64>(at(s1L, j)) * load<f64>(at(rzL, j));
        const qm = load<f64>(at(cw, m)) * ru * inv;
        store<f64>(at(rdn, m), qm);
        const dm = load<f64>(at(du, m)) * inv;
        const hrow = at(hv, offW(net, L + 1) + m * h);
        for (let j = 0; j < h; ++j)
          store<f64>(
            at(hrow, j),
            load<f64>(at(hrow, j)) +
              (qm * load<f64>(at(aL, j)) + dm * load<f64>(at(s1L, j)) * load<f64>(at(rzL, j))),
          );
        const hb = at(hv, offB(net, L + 1) + m);
        store<f64>(hb, load<f64>(hb) + qm);
      }
      // Backward: R delta_l from R delta_{l+1}, then the gradient of layer l.
      for (let l = L; l >= 1; --l) {
        const n = i32At(net.width, l);
        const np = i32At(net.width, l - 1);
        const nn = i32At(net.width, l + 1);
        const Wn = at(w, offW(net, l + 1));
        const Vn = at(v, offW(net, l + 1));
        const ga = layer_row(net.da, net, l, s);
        const s1 = layer_row(net.s1, net, l, s);
        const s2 = layer_row(net.s2, net, l, s);
        const rzl = at(rz, i32At(net.hidOff, l - 1));
        const gn = l < L ? layer_row(net.da, net, l + 1, s) : du;
        const s1n: usize = l < L ? layer_row(net.s1, net, l + 1, s) : 0;
        for (let j = 0; j < n; ++j) {
          let back = 0.0;
          for (let kk = 0; kk < nn; ++kk) {
            const kj = kk * n + j;
            const dk = s1n != 0 ? load<f64>(at(gn, kk)) * load<f64>(at(s1n, kk)) : load<f64>(at(gn, kk));
            back += load<f64>(at(Wn, kj)) * load<f64>(at(rdn, kk)) + dk * inv * load<f64>(at(Vn, kj));
          }
          store<f64>(
            at(rdc, j),
            load<f64>(at(s1, j)) * back + load<f64>(at(ga, j)) * load<f64>(at(s2, j)) * load<f64>(at(rzl, j)) * inv,
          );
        }
        const x = layer_input(net, l, s);
        const rzp: usize = l > 1 ? at(rz, i32At(net.hidOff, l - 2)) : 0;
        const s1p: usize = l > 1 ? layer_row(net.s1, net, l - 1, s) : 0;
        const hW = at(hv, offW(net, l));
        const hb = at(hv, offB(net, l));
        for (let j = 0; j < n; ++j) {
          const beta = load<f64>(at(rdc, j));
          const row = at(hW, j * np);
          if (l > 1) {
            const dj = load<f64>(at(ga, j)) * load<f64>(at(s1, j)) * inv;
            for (let i = 0; i < np; ++i)
              store<f64>(
                at(row, i),
                load<f64>(at(row, i)) +
                  (beta * load<f64>(at(x, i)) + dj * load<f64>(at(s1p, i)) * load<f64>(at(rzp, i))),
              );
          } else {
            for (let i = 0; i < np; ++i)
              store<f64>(at(row, i), load<f64>(at(row, i)) + beta * load<f64>(at(x, i)));
          }
          store<f64>(at(hb, j), load<f64>(at(hb, j)) + beta);
        }
        const t = rdn;
        rdn = rdc;
        rdc = t;
      }
    }
  }
}

// A hidden layer's (1 <= l <= L) block of a cache, sample-major (= n_l x N column-major); the input X for l = 0.
// @ts-ignore: decorator
@inline function layer_block(net: Network, cache: usize, l: i32): usize {
  return l == 0 ? net.Xa : at(cache, i32At(net.cacheOff, l - 1));
}

// The same product with every sample at once (route factored): each layer's step is a thin product (gemm) over the
// N samples of a block of vectors, so H V = G^T (C (G V)) + S V is formed through the layers' factors without G or H.
// The vectors are taken in blocks of deep_factored_block(net) columns. The workspaces are reserved here as a last
// resort (trapping when memory cannot grow).
export function deep_factored_apply(net: Network, w: usize, V: usize, k: i32, HV: usize): void {
  if ((net.RZ == 0 || net.Del == 0) && !network_reserve_factored(net)) unreachable();
  const L = net.L;
  const o = net.nOut;
  const N = net.Na;
  const D = net.D;
  const kbMax = deep_factored_block(net);
  const inv = 1.0 / N;
  const hidSum = net.hidSum;
  // delta_l (n_l x N, column-major) of every layer: ga_l . s_l' (hidden), du (output).
  const Del = net.Del;
  for (let l = 1; l <= L; ++l) {
    const n = N * i32At(net.width, l);
    const co = i32At(net.cacheOff, l - 1);
    const ga = at(net.da, co);
    const s1 = at(net.s1, co);
    const d = at(Del, N * i32At(net.hidOff, l - 1));
    for (let e = 0; e < n; ++e) store<f64>(at(d, e), load<f64>(at(ga, e)) * load<f64>(at(s1, e)));
  }
  memory.copy(at(Del, N * hidSum), net.du, (<usize>(N * o)) << 3);
  for (let c0 = 0; c0 < k; c0 += kbMax) {
    const kb = min(kbMax, k - c0);
    const Nk = N * kb;
    for (let l = 1; l <= L + 1; ++l) {
      const n = i32At(net.width, l);
      const np = i32At(net.width, l - 1);
      const Z = at(net.RZ, Nk * (l <= L ? i32At(net.hidOff, l - 1) : hidSum));
      const Ap = layer_block(net, net.a, l - 1);
      for (let c = 0; c < kb; ++c) {
        const v = at(V, (c0 + c) * D);
        const Zc = at(Z, c * N * n);
        gemm(true, false, n, N, np, 1.0, at(v, offW(net, l)), np, Ap, np, 0.0, Zc, n);
        const vb = at(v, offB(net, l));
        for (let s = 0; s < N; ++s)
          for (let j = 0; j < n; ++j) {
            const e = at(Zc, s * n + j);
            store<f64>(e, load<f64>(e) + load<f64>(at(vb, j)));
          }
      }
      if (l > 1)
        gemm(true, false, n, Nk, np, 1.0, at(w, offW(net, l)), np, at(net.RA, Nk * i32At(net.hidOff, l - 2)), np, 1.0, Z, n);
      if (l <= L) {
        const s1 = at(net.s1, i32At(net.cacheOff, l - 1));
        const A = at(net.RA, Nk * i32At(net.hidOff, l - 1));
        const Nn = N * n;
        for (let c = 0; c < kb; ++c)
          for (let e = 0; e < Nn; ++e) store<f64>(at(A, c * Nn + e), load<f64>(at(s1, e)) * load<f64>(at(Z, c * Nn + e)));
      }
    }
    // The source of the backward pass: R delta_{L+1} = cw . R u.
    let Rd = net.RD;
    let Rg = net.RG;
    const Zo = at(net.RZ, Nk * hidSum);
    const No = N * o;
    for (let c = 0; c < kb; ++c)
      for (let e = 0; e < No; ++e) store<f64>(at(Rd, c * No + e), load<f64>(at(net.cw, e)) * load<f64>(at(Zo, c * No + e)));
    for (let l = L + 1; l >= 1; --l) {
      const n = i32At(net.width, l);
      const np = i32At(net.width, l - 1);
      const Ap = layer_block(net, net.a, l - 1);
      const Dl = at(Del, N * (l <= L ? i32At(net.hidOff, l - 1) : hidSum));
      const Nn = N * n;
      for (let c = 0; c < kb; ++c) {
        const hv = at(HV, (c0 + c) * D);
        const Rdc = at(Rd, c * Nn);
        // (H v)_{W_l} (n_l x n_{l-1} row-major = n_{l-1} x n_l column-major) = 1/N (a_{l-1} R delta_l^T + R a_{l-1} delta_l^T).
        gemm(false, true, np, n, N, inv, Ap, np, Rdc, n, 0.0, at(hv, offW(net, l)), np);
        if (l > 1)
          gemm(false, true, np, n, N, inv, at(net.RA, Nk * i32At(net.hidOff, l - 2) + c * N * np), np, Dl, n, 1.0, at(hv, offW(net, l)), np);
        const hb = at(hv, offB(net, l));
        memory.fill(hb, 0, (<usize>n) << 3);
        for (let s = 0; s < N; ++s)
          for (let j = 0; j < n; ++j) store<f64>(at(hb, j), load<f64>(at(hb, j)) + load<f64>(at(Rdc, s * n + j)));
        for (let j = 0; j < n; ++j) store<f64>(at(hb, j), load<f64>(at(hb, j)) * inv);
      }
      if (l == 1) break;
      // R ga_{l-1} = W_l^T R delta_l + V_l^T delta_l, then R delta_{l-1} = R ga_{l-1} . s' + ga . s'' . R z_{l-1}.
      gemm(false, false, np, Nk, n, 1.0, at(w, offW(net, l)), np, Rd, n, 0.0, Rg, np);
      for (let c = 0; c < kb; ++c) {
        const v = at(V, (c0 + c) * D);
        gemm(false, false, np, N, n, 1.0, at(v, offW(net, l)), np, Dl, n, 1.0, at(Rg, c * N * np), np);
      }
      const co = i32At(net.cacheOff, l - 2);
      const s1 = at(net.s1, co);
      const s2 = at(net.s2, co);
      const ga = at(net.da, co);
      const Zp = at(net.RZ, Nk * i32At(net.hidOff, l - 2));
      const Np = N * np;
      for (let c = 0; c < kb; ++c)
        for (let e = 0; e < Np; ++e) {
          const ce = c * Np + e;
          store<f64>(
            at(Rg, ce),
            load<f64>(at(Rg, ce)) * load<f64>(at(s1, e)) +
              load<f64>(at(ga, e)) * load<f64>(at(s2, e)) * load<f64>(at(Zp, ce)),
          );
        }
      const t = Rd;
      Rd = Rg;
      Rg = t;
    }
  }
}
