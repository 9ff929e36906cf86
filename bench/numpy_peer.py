#!/usr/bin/env python3
"""The NumPy peer of the benchmark (bench/run.ts): the same gradient-descent step with its exact tangent map and QR,
vectorised in NumPy, timed on the same cases, and the machine's float64 matrix-multiply rate.

Reads one JSON object on stdin:
  {"cases": [{"name", "inputs", "hidden", "outputs", "activation", "samples", "k", "qrEvery", "eta",
              "X", "Y", "w0"}], "seconds": 1.0, "repeats": 5, "matmul": {"n": 2000}}
and prints one JSON object: the NumPy/BLAS configuration, the matmul rate, and per case the steps per second (mean
of `repeats` timings of about `seconds` / `repeats` each, with the relative margin of error at 95 %), the route it
ran, and the log R_jj of the first step (the check that both sides do the same work).

One step, as native/kernels/lyapunov.cc: loss and caches at w_t; Q <- (I - eta H(w_t)) Q by the explicit Hessian
H = G^T C G + S (route "hessian") or in factored form G^T (C (G Q)) + S Q (route "factored"), whichever is faster
here; w <- w - eta grad C(w_t); every qrEvery steps Q, R = qr(Q) with the signs fixed so that diag(R) > 0. A case
whose "hidden" is a list of two or more widths runs DeepPeer: the same step for L hidden layers, with the general
kernels' two routes (H by blocks of layers; H Q by the R-operator on all samples at once).
"""
import ctypes
import glob
import json
import math
import os
import sys
import time

import numpy as np


def activation(name, z):
    """f, f', f'' elementwise (the formulas of native/kernels/activations.h)."""
    if name == "identity":
        return z, np.ones_like(z), np.zeros_like(z)
    if name == "tanh":
        t = np.tanh(z)
        s = 1.0 - t * t
        return t, s, -2.0 * t * s
    if name == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        ds = s * (1.0 - s)
        return s, ds, ds * (1.0 - 2.0 * s)
    raise ValueError(f"activation {name} is not in the NumPy peer")


class Stepper:
    """The step loop shared by the peers: forward(w) -> (loss, grad, cache), hessian(cache) -> H and
    hq_factored(cache, Q) -> H Q."""

    def run(self, w, Q, steps, qr_every, route, logr_out=None):
        eta = self.eta
        for t in range(steps):
            loss, grad, cache = self.forward(w)
            if Q.shape[1] == 0:  # plain training
                w = w - eta * grad
                continue
            if route == "hessian":
                Q = Q - eta * (self.hessian(cache) @ Q)
            else:
                Q = Q - eta * self.hq_factored(cache, Q)
            w = w - eta * grad
            if (t + 1) % qr_every == 0:
                Q, R = np.linalg.qr(Q)
                d = np.diagonal(R)
                Q = Q * np.where(d < 0, -1.0, 1.0)
                if logr_out is not None:
                    logr_out.append(np.log(np.abs(d)).tolist())
        return w, Q


class Peer(Stepper):
    """One case of a three-layer network: data, layout of the parameter vector, preallocated G and index arrays."""

    def __init__(self, c):
        hidden = c["hidden"][0] if isinstance(c["hidden"], list) else c["hidden"]
        self.i, self.h, self.o = c["inputs"], hidden, c["outputs"]
        i, h, o = self.i, self.h, self.o
        self.N = c["samples"]
        self.act = c["activation"]
        self.eta = c["eta"]
        self.X = np.array(c["X"], dtype=np.float64).reshape(self.N, i)
        self.Y = np.array(c["Y"], dtype=np.float64).reshape(self.N, o)
        self.Xt = np.hstack([self.X, np.ones((self.N, 1))])  # x~ = (x, 1)
        self.D = h * (i + 1) + o * (h + 1)
        self.offB1 = h * i
        self.offW2 = self.offB1 + h
        self.offB2 = self.offW2 + o * h
        # Index of W1~[j, a] (a == i: the bias b1[j]), of W2[m, j], and the G tensor (N, o, D).
        self.w1idx = np.array([[j * i + a if a < i else self.offB1 + j for a in range(i + 1)] for j in range(h)])
        self.w2idx = self.offW2 + np.arange(o * h).reshape(o, h)
        self.G = np.zeros((self.N, o, self.D))
        for m in range(o):
            self.G[:, m, self.offB2 + m] = 1.0
        self.mrange = np.arange(o)
        self.tri = np.triu_indices(i + 1)

    def forward(self, w):
        i, h, o, N = self.i, self.h, self.o, self.N
        W1 = w[: h * i].reshape(h, i)
        b1 = w[self.offB1 : self.offW2]
        W2 = w[self.offW2 : self.offB2].reshape(o, h)
        b2 = w[self.offB2 :]
        Z = self.X @ W1.T + b1
        A, S1, S2 = activation(self.act, Z)
        U = A @ W2.T + b2  # identity output: phi' = 1, phi'' = 0
        R = U - self.Y
        loss = 0.5 * np.sum(R * R) / N
        DU = R  # r phi'(u)
        CW = np.ones_like(R)  # phi'^2 + r phi''
        DA = DU @ W2
        grad = np.empty(self.D)
        DZ = DA * S1
        grad[: h * i] = (DZ.T @ self.X).ravel() / N
        grad[self.offB1 : self.offW2] = DZ.sum(0) / N
        grad[self.offW2 : self.offB2] = (DU.T @ A).ravel() / N
        grad[self.offB2 :] = DU.sum(0) / N
        return loss, grad, (W2, A, S1, S2, DU, CW, DA)

    def factors(self, cache):
        """G (rows grad u_m(x_s)) and the summed second-order blocks of S (docs/derivations.md)."""
        i, h, o, N = self.i, self.h, self.o, self.N
        W2, A, S1, S2, DU, CW, DA = cache
        C = W2[None, :, :] * S1[:, None, :]  # (N, o, h): d u_m / d z_j
        G = self.G
        G[:, :, : h * i] = (C[:, :, :, None] * self.X[:, None, None, :]).reshape(N, o, h * i)
        G[:, :, self.offB1 : self.offW2] = C
        for m in range(o):
            G[:, m, self.offW2 + m * h : self.offW2 + (m + 1) * h] = A
        Gf = G.reshape(N * o, self.D)
        cdiag = DA * S2 / N  # (N, h)
        Sblk = np.einsum("sj,sa,sb->jab", cdiag, self.Xt, self.Xt)  # (h, i+1, i+1)
        Sx = np.einsum("sm,sj,sa->mja", DU, S1, self.Xt) / N  # (o, h, i+1)
        return Gf, (CW.reshape(-1) / N), Sblk, Sx

    def hessian(self, cache):
        Gf, c, Sblk, Sx = self.factors(cache)
        H = Gf.T @ (Gf * c[:, None])
        H[self.w1idx[:, :, None], self.w1idx[:, None, :]] += Sblk
        cross = np.broadcast_to(self.w1idx[None, :, :], Sx.shape)
        rows = np.broadcast_to(self.w2idx[:, :, None], Sx.shape)
        H[rows, cross] += Sx
        H[cross, rows] += Sx
        return H

    def hq_factored(self, cache, Q):
        Gf, c, Sblk, Sx = self.factors(cache)
        HQ = Gf.T @ ((Gf @ Q) * c[:, None])
        Q1 = Q[self.w1idx]  # (h, i+1, k)
        Q2 = Q[self.w2idx]  # (o, h, k)
        HQ[self.w1idx] += np.einsum("jab,jbk->jak", Sblk, Q1) + np.einsum("mja,mjk->jak", Sx, Q2)
        HQ[self.w2idx] += np.einsum("mja,jak->mjk", Sx, Q1)
        return HQ


class DeepPeer(Stepper):
    """A network of L >= 2 hidden layers (docs/derivations.md, "L hidden layers"): the same step, with H by blocks of
    layers (the K and M recursion, one matrix product over the samples per unit of layer p) and H Q by the R-operator
    on all samples at once (matrix products per layer), the two routes of the general kernels."""

    def __init__(self, c):
        hidden = c["hidden"]
        self.n = [c["inputs"], *hidden, c["outputs"]]
        self.L = len(hidden)
        self.N = c["samples"]
        self.act = c["activation"]
        self.eta = c["eta"]
        n, N = self.n, self.N
        self.X = np.array(c["X"], dtype=np.float64).reshape(N, n[0])
        self.Y = np.array(c["Y"], dtype=np.float64).reshape(N, n[-1])
        self.offW, self.offB = [None], [None]
        off = 0
        for l in range(1, self.L + 2):
            self.offW.append(off)
            off += n[l] * n[l - 1]
            self.offB.append(off)
            off += n[l]
        self.D = off
        # Index of W~_l[r, i] (i == n_{l-1}: the bias b_l[r]).
        self.idx = [None] + [
            np.array([[self.offW[l] + r * n[l - 1] + i if i < n[l - 1] else self.offB[l] + r for i in range(n[l - 1] + 1)]
                      for r in range(n[l])])
            for l in range(1, self.L + 2)
        ]

    def weights(self, w):
        n = self.n
        W = [None] + [w[self.offW[l]: self.offB[l]].reshape(n[l], n[l - 1]) for l in range(1, self.L + 2)]
        b = [None] + [w[self.offB[l]: self.offB[l] + n[l]] for l in range(1, self.L + 2)]
        return W, b

    def forward(self, w):
        L, N = self.L, self.N
        W, b = self.weights(w)
        A, S1, S2 = [self.X], [None], [None]
        for l in range(1, L + 1):
            a, s1, s2 = activation(self.act, A[-1] @ W[l].T + b[l])
            A.append(a)
            S1.append(s1)
            S2.append(s2)
        R = A[L] @ W[L + 1].T + b[L + 1] - self.Y  # identity output: phi' = 1, phi'' = 0
        loss = 0.5 * np.sum(R * R) / N
        GA = [None] * (L + 1)
        GA[L] = R @ W[L + 1]
        for l in range(L - 1, 0, -1):
            GA[l] = (GA[l + 1] * S1[l + 1]) @ W[l + 1]
        Delta = [None] + [GA[l] * S1[l] for l in range(1, L + 1)] + [R]
        grad = np.empty(self.D)
        for l in range(1, L + 2):
            grad[self.offW[l]: self.offB[l]] = (Delta[l].T @ A[l - 1]).ravel() / N
            grad[self.offB[l]: self.offB[l] + self.n[l]] = Delta[l].sum(0) / N
        return loss, grad, (W, A, S1, S2, GA, Delta, np.ones_like(R))

    def hessian(self, cache):
        W, A, S1, S2, GA, Delta, CW = cache
        L, N, n = self.L, self.N, self.n
        H = np.empty((self.D, self.D))
        At = [np.hstack([a, np.ones((N, 1))]) for a in A]  # At[l] = a~_l
        K = CW[:, :, None] * np.eye(n[L + 1])[None]  # K^{(L+1,L+1)} = diag(cw)
        for q in range(L + 1, 0, -1):
            Kqq, nq1 = K, n[q - 1]
            self.block(H, q, q, Kqq, None, At, Delta[q])
            P, M = Kqq, None
            for p in range(q - 1, 0, -1):
                P = S1[p][:, :, None] * (W[p + 1].T @ P)
                M = S1[p][:, :, None] * np.eye(nq1)[None] if p == q - 1 else S1[p][:, :, None] * (W[p + 1].T @ M)
                self.block(H, p, q, P, M, At, Delta[q])
                if p == q - 1:
                    K = (P @ W[q]) * S1[q - 1][:, None, :] + (GA[q - 1] * S2[q - 1])[:, :, None] * np.eye(nq1)[None]
        return H

    def block(self, H, p, q, K, M, At, delta):
        """H's block (W~_p, W~_q): per unit r of layer p, the sample rows K[r, k] a~_{q-1} (+ M[r, j] delta_k on the
        weights) summed against a~_{p-1} by one product over the samples."""
        n, N = self.n, self.N
        nq1 = n[q - 1]
        cols = self.idx[q].ravel()
        for r in range(n[p]):
            T = K[:, r, :, None] * At[q - 1][:, None, :]  # (N, n_q, n_{q-1} + 1)
            if M is not None:
                T[:, :, :nq1] += delta[:, :, None] * M[:, r, None, :]
            blk = At[p - 1].T @ T.reshape(N, -1) / N  # (n_{p-1} + 1, D_q)
            rows = self.idx[p][r]
            H[np.ix_(rows, cols)] = blk
            if p != q:
                H[np.ix_(cols, rows)] = blk.T

    def hq_factored(self, cache, Q):
        W, A, S1, S2, GA, Delta, CW = cache
        L, N, n = self.L, self.N, self.n
        k = Q.shape[1]
        V = [None] + [Q[self.offW[l]: self.offB[l]].reshape(n[l], n[l - 1], k) for l in range(1, L + 2)]
        vb = [None] + [Q[self.offB[l]: self.offB[l] + n[l]] for l in range(1, L + 2)]
        RZ, RA = [None], [None]
        for l in range(1, L + 2):
            z = np.einsum("jic,si->csj", V[l], A[l - 1], optimize=True) + vb[l].T[:, None, :]
            if l > 1:
                z += RA[l - 1] @ W[l].T
            RZ.append(z)
            RA.append(S1[l][None] * z if l <= L else None)
        HQ = np.empty_like(Q)
        RD = CW[None] * RZ[L + 1]
        for l in range(L + 1, 0, -1):
            g = np.einsum("csj,si->jic", RD, A[l - 1], optimize=True)
            if l > 1:
                g += np.einsum("sj,csi->jic", Delta[l], RA[l - 1], optimize=True)
            HQ[self.offW[l]: self.offB[l]] = g.reshape(-1, k) / N
            HQ[self.offB[l]: self.offB[l] + n[l]] = RD.sum(1).T / N
            if l > 1:
                RG = RD @ W[l] + np.einsum("jic,sj->csi", V[l], Delta[l], optimize=True)
                RD = RG * S1[l - 1][None] + (GA[l - 1] * S2[l - 1])[None] * RZ[l - 1]
        return HQ


# Two-sided t quantiles at 95 % for 1..30 degrees of freedom (as benchmark.js reports its margin of error).
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
       2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]


def stats(rates):
    n = len(rates)
    mean = sum(rates) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((r - mean) ** 2 for r in rates) / (n - 1))
    t = T95[min(n - 1, len(T95)) - 1]
    return mean, 100.0 * t * sd / math.sqrt(n) / mean


def time_case(c, seconds, repeats):
    p = DeepPeer(c) if isinstance(c["hidden"], list) and len(c["hidden"]) > 1 else Peer(c)
    k = c["k"]
    every = c["qrEvery"]
    w0 = np.array(c["w0"], dtype=np.float64)
    Q0 = np.eye(p.D, k)
    logr = []
    p.run(w0.copy(), Q0.copy(), every, every, "hessian", logr)
    first = logr[0] if logr else []
    # Pick the faster of the two routes on a short trial (both exact; the peer gets its best).
    trial = {}
    for route in ("hessian", "factored"):
        t0 = time.perf_counter()
        n = 0
        while n == 0 or time.perf_counter() - t0 < min(0.2, seconds / 5):
            p.run(w0.copy(), Q0.copy(), every, every, route)
            n += every
        trial[route] = n / (time.perf_counter() - t0)
    route = max(trial, key=trial.get)
    rate = trial[route]
    if k == 0:
        route = "none"  # no tangent map: both trials ran the same plain training
    # Steps per timing: about seconds / repeats each, a multiple of qrEvery.
    per = max(every, int(rate * seconds / repeats) // every * every)
    rates = []
    w, Q = w0.copy(), Q0.copy()
    for _ in range(repeats):
        t0 = time.perf_counter()
        w, Q = p.run(w, Q, per, every, route)
        rates.append(per / (time.perf_counter() - t0))
        if not np.all(np.isfinite(w)):
            w, Q = w0.copy(), Q0.copy()
    mean, rme = stats(rates)
    return {"name": c["name"], "route": route, "trialStepsPerSecond": trial, "stepsPerSecond": mean, "rme": rme, "samples": repeats,
            "firstLogR": first}


def matmul_rate(n, seconds):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    c = np.empty((n, n))
    np.matmul(a, b, out=c)
    best = 0.0
    t_end = time.perf_counter() + seconds
    reps = 0
    while reps < 3 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        best = max(best, 2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
        reps += 1
    return best


def blas_info():
    """The BLAS NumPy calls and, for OpenBLAS, the kernel it picked for this CPU and its thread count."""
    info = {"numpy": np.__version__}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception as err:  # older NumPy
        info["blas"] = f"unknown ({err})"
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*.so*"))
    libs += glob.glob(os.path.join(os.path.dirname(np.__file__), ".libs", "*openblas*.so*"))
    for lib in libs:
        try:
            ob = ctypes.CDLL(lib)
            for prefix in ("scipy_openblas_", "openblas_"):
                for suffix in ("64_", ""):
                    name = f"{prefix}get_corename{suffix}"
                    if hasattr(ob, name):
                        fn = getattr(ob, name)
                        fn.restype = ctypes.c_char_p
                        info["kernel"] = fn().decode()
                        th = getattr(ob, f"{prefix}get_num_threads{suffix}")
                        info["threads"] = int(th())
                        return info
        except OSError:
            continue
    try:
        import threadpoolctl  # noqa: PLC0415

        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                info["kernel"] = pool.get("architecture")
                info["threads"] = pool.get("num_threads")
    except ImportError:
        pass
    return info


def main():
    req = json.load(sys.stdin)
    out = {"blas": blas_info(), "env": {k: os.environ.get(k) for k in (
        "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    mm = req.get("matmul")
    if mm:
        out["matmul"] = {"n": mm["n"], "gflops": matmul_rate(mm["n"], mm.get("seconds", 1.0))}
    out["cases"] = [time_case(c, req.get("seconds", 1.0), req.get("repeats", 5)) for c in req.get("cases", [])]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
