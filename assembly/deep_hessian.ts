// The exact Hessian of the loss of a network of any depth, assembled by blocks of layers.
// Twin: native/kernels/deep_hessian.{h,cc} (same recursion, same products, same order; the products round like native's
// built-in gemm).
//
// Derivation (docs/derivations.md, "L hidden layers"): per sample, with a~_{l-1} = (a_{l-1}, 1) and
// E_p^{(l)} = (dz_l / dz_p)^T (E_p^{(p+1)} = diag(s_p') W_{p+1}^T), the block of H between the parameters W~_p of layer
// p and W~_q of layer q (p <= q) is
//   K^{(p,q)} (x) a~_{p-1} a~_{q-1}^T  +  [p < q] the bilinear term: (W~_p[r,i], W_q[k,j]) += M^{(p,q)}[r,j] a~_{p-1,i} delta_{q,k}
// with K^{(L+1,L+1)} = diag(cw), K^{(q,q)} = diag(ga_q . s_q'') + E_q^{(q+1)} K^{(q+1,q+1)} E_q^{(q+1)T},
// K^{(p,q)} = E_p^{(p+1)} K^{(p+1,q)}, M^{(q-1,q)} = diag(s_{q-1}'), M^{(p,q)} = E_p^{(p+1)} M^{(p+1,q)}.
import { layer_input, layer_row, offB, offW } from "./deep_mlp";
import { at, gemm, symmetrize_upper } from "./dense";
import { i32At, Network, network_reserve_hessian } from "./network";

// The block (W~_p, W~_q), p <= q, of H (upper part; column-major H, leading dimension D). B holds, for each unit r of
// layer p, the rows [K^{(p,q)}_s[r, :] | M^{(p,q)}_s[r, :]] of every sample s at B[r N c + s c ...] (c = n_q + n_{q-1};
// the M part only when withM). Per unit r, the sample rows T_s (the q-block of the parameter vector: K[r,k] a~_{q-1}
// (+ M[r,j] delta_{q,k})) are summed against a~_{p-1,s} by one product with inner dimension N, and the result goes to
// H's rows W_p[r, .] and b_p[r].
function block(net: Network, H: usize, p: i32, q: i32, B: usize, c: i32, withM: bool, inv: f64): void {
  const N = net.Na;
  const D = net.D;
  const L = net.L;
  const o = net.nOut;
  const np = i32At(net.width, p);
  const npp = i32At(net.width, p - 1);
  const nq = i32At(net.width, q);
  const nq1 = i32At(net.width, q - 1);
  const Dq = nq * (nq1 + 1);
  const i1 = npp + 1;
  const Nc = N * c;
  const At = net.At;
  const T = net.T;
  const Cb = net.Cb;
  for (let s = 0; s < N; ++s) {
    const x = layer_input(net, p, s);
    const as = at(At, s * i1);
    for (let i = 0; i < npp; ++i) store<f64>(at(as, i), load<f64>(at(x, i)));
    store<f64>(at(as, npp), 1.0);
  }
  const hq = at(H, offW(net, q) * D);
  for (let r = 0; r < np; ++r) {
    const Br = at(B, r * Nc);
    for (let s = 0; s < N; ++s) {
      const K = at(Br, s * c);
      const M = at(K, nq);
      const aq = layer_input(net, q, s);
      const t = at(T, s * Dq);
      const dq = q == L + 1 ? at(net.du, s * o) : layer_row(net.da, net, q, s);
      const sq: usize = q == L + 1 ? 0 : layer_row(net.s1, net, q, s);
      for (let k = 0; k < nq; ++k) {
        const Kk = load<f64>(at(K, k));
        const tk = at(t, k * nq1);
        if (withM) {
          const dk = sq != 0 ? load<f64>(at(dq, k)) * load<f64>(at(sq, k)) : load<f64>(at(dq, k));
          for (let j = 0; j < nq1; ++j)
            store<f64>(at(tk, j), Kk * load<f64>(at(aq, j)) + load<f64>(at(M, j)) * dk);
        } else {
          for (let j = 0; j < nq1; ++j) store<f64>(at(tk, j), Kk * load<f64>(at(aq, j)));
        }
        store<f64>(at(t, nq * nq1 + k), Kk);
      }
    }
    // On the diagonal block only the columns from unit r on reach the upper triangle of rows W_p[r, .].
    const col0 = p == q ? r * nq1 : 0;
    const n = Dq - col0;
    gemm(false, true, i1, n, N, inv, At, i1, at(T, col0), Dq, 0.0, Cb, i1);
    const rowW = offW(net, p) + r * npp;
    const rowB = offB(net, p) + r;
    for (let col = 0; col < n; ++col) {
      const h = hq + ((<usize>(col0 + col) * <usize>D) << 3);
      const cc = at(Cb, col * i1);
      for (let i = 0; i < npp; ++i) store<f64>(at(h, rowW + i), load<f64>(at(cc, i)));
      store<f64>(at(h, rowB), load<f64>(at(cc, npp)));
    }
  }
}

// H (D x D, symmetric, both triangles written) at the weights of the last deep_forward. The workspaces are reserved
// here as a last resort (trapping when memory cannot grow).
export function deep_hessian_explicit(net: Network, w: usize, H: usize): void {
  if ((net.Kp == 0 || net.T == 0 || net.Cb == 0) && !network_reserve_hessian(net)) unreachable();
  const L = net.L;
  const N = net.Na;
  const D = net.D;
  const o = net.nOut;
  const inv = 1.0 / N;
  let P = net.Kp;
  let Pn = net.Kq;
  let Kn = net.Kn;
  for (let q = L + 1; q >= 1; --q) {
    const nq = i32At(net.width, q);
    const nq1 = i32At(net.width, q - 1);
    const c = nq + nq1;
    const Nc = N * c;
    if (q == L + 1) {
      // K^{(L+1,L+1)} = diag(cw): the Gauss-Newton weights.
      for (let r = 0; r < o; ++r)
        for (let s = 0; s < N; ++s) {
          const x = at(P, r * Nc + s * c);
          memory.fill(x, 0, (<usize>c) << 3);
          store<f64>(at(x, r), load<f64>(at(net.cw, s * o + r)));
        }
    } else {
      // K^{(q,q)}, built while the previous q ran.
      const t = P;
      P = Kn;
      Kn = t;
    }
    block(net, H, q, q, P, c, false, inv);
    for (let p = q - 1; p >= 1; --p) {
      const np = i32At(net.width, p);
      const nn = i32At(net.width, p + 1);
      // [K | M]^{(p,q)} = diag(s_p') W_{p+1}^T [K | M]^{(p+1,q)}, every sample at once: Pn (N c x n_p) = P W_{p+1}.
      gemm(false, true, Nc, np, nn, 1.0, P, Nc, at(w, offW(net, p + 1)), np, 0.0, Pn, Nc);
      for (let r = 0; r < np; ++r)
        for (let s = 0; s < N; ++s) {
          const sr = load<f64>(at(layer_row(net.s1, net, p, s), r));
          const x = at(Pn, r * Nc + s * c);
          for (let col = 0; col < c; ++col) store<f64>(at(x, col), load<f64>(at(x, col)) * sr);
          // M^{(q-1,q)} = diag(s_{q-1}').
          if (p == q - 1) for (let j = 0; j < nq1; ++j) store<f64>(at(x, nq + j), j == r ? sr : 0.0);
        }
      block(net, H, p, q, Pn, c, true, inv);
      if (p == q - 1) {
        // K^{(q-1,q-1)} = diag(ga_{q-1} . s_{q-1}'') + K^{(q-1,q)} W_q diag(s_{q-1}'), for the next q; one product per
        // row r: (K^{(q-1,q)}[r, :] W_q)_s for every sample.
        const n1 = nq1;
        const c1 = nq1 + i32At(net.width, q - 2);
        const Nc1 = N * c1;
        for (let r = 0; r < n1; ++r)
          gemm(false, false, n1, N, nq, 1.0, at(w, offW(net, q)), n1, at(Pn, r * Nc), c, 0.0, at(Kn, r * Nc1), c1);
        for (let r = 0; r < n1; ++r)
          for (let s = 0; s < N; ++s) {
            const s1 = layer_row(net.s1, net, q - 1, s);
            const x = at(Kn, r * Nc1 + s * c1);
            for (let k = 0; k < n1; ++k) store<f64>(at(x, k), load<f64>(at(x, k)) * load<f64>(at(s1, k)));
            const ga = load<f64>(at(layer_row(net.da, net, q - 1, s), r));
            const s2 = load<f64>(at(layer_row(net.s2, net, q - 1, s), r));
            store<f64>(at(x, r), load<f64>(at(x, r)) + ga * s2);
            memory.fill(at(x, n1), 0, (<usize>(c1 - n1)) << 3);
          }
      }
      const t = P;
      P = Pn;
      Pn = t;
    }
  }
  symmetrize_upper(H, D, D);
}
