#!/usr/bin/env python3
"""The batched NumPy peer of the ensemble benchmark (bench/ensemble-peer.ts): many initial conditions of one
three-layer network trained in lockstep by gradient descent with the exact tangent map and QR, every array carrying
the runs on its first axis (einsum for the forward pass and the Hessians, stacked matmul for H Q, the stacked QR of
numpy.linalg.qr), as a user who vectorises an ensemble in NumPy would write it.

Reads one JSON object on stdin:
  {"inputs", "hidden", "outputs", "activation", "samples", "eta", "X", "Y", "W0": [[w0 of run 0], ...],
   "steps", "repeats", "checkSteps"}
and prints: run-steps per second (mean of `repeats` timings of `steps` steps of all runs, relative margin of error at
95 %), and the log R_jj of the first `checkSteps` steps of every run (the check against the engine's numbers: both
must do the same work). The step is that of bench/numpy_peer.py (docs/derivations.md), with an explicit Hessian
H = G^T C G + S per run.
"""
import json
import sys
import time

import numpy as np

# The single-run peer beside this file (on sys.path as the script's folder): the same activation formulas and the same
# margin of error (t quantiles for 1..30 degrees of freedom).
from numpy_peer import activation, stats


class Ensemble:
    def __init__(self, c):
        self.i, self.h, self.o = c["inputs"], c["hidden"], c["outputs"]
        i, h, o = self.i, self.h, self.o
        self.N = c["samples"]
        self.act = c["activation"]
        self.eta = c["eta"]
        self.X = np.array(c["X"], dtype=np.float64).reshape(self.N, i)
        self.Y = np.array(c["Y"], dtype=np.float64).reshape(self.N, o)
        self.Xt = np.hstack([self.X, np.ones((self.N, 1))])
        self.D = h * (i + 1) + o * (h + 1)
        self.offB1, self.offW2 = h * i, h * i + h
        self.offB2 = self.offW2 + o * h
        self.w1idx = np.array([[j * i + a if a < i else self.offB1 + j for a in range(i + 1)] for j in range(h)])
        self.w2idx = self.offW2 + np.arange(o * h).reshape(o, h)

    def step(self, W, Q):
        """One step of every run: W (B, D), Q (B, D, k) -> (W', Q' before the QR)."""
        i, h, o, N, D = self.i, self.h, self.o, self.N, self.D
        B = W.shape[0]
        W1 = W[:, : h * i].reshape(B, h, i)
        b1 = W[:, self.offB1 : self.offW2]
        W2 = W[:, self.offW2 : self.offB2].reshape(B, o, h)
        b2 = W[:, self.offB2 :]
        Z = np.einsum("si,bhi->bsh", self.X, W1) + b1[:, None, :]
        A, S1, S2 = activation(self.act, Z)
        U = np.einsum("bsh,boh->bso", A, W2) + b2[:, None, :]
        DU = U - self.Y[None]  # identity output: du = r, cw = 1
        DA = np.einsum("bso,boh->bsh", DU, W2)
        DZ = DA * S1
        grad = np.empty_like(W)
        grad[:, : h * i] = np.einsum("bsh,si->bhi", DZ, self.X).reshape(B, h * i) / N
        grad[:, self.offB1 : self.offW2] = DZ.sum(1) / N
        grad[:, self.offW2 : self.offB2] = np.einsum("bso,bsh->boh", DU, A).reshape(B, o * h) / N
        grad[:, self.offB2 :] = DU.sum(1) / N
        # G: rows grad u_m(x_s) of every run, (B, N o, D).
        C = W2[:, None, :, :] * S1[:, :, None, :]  # (B, N, o, h)
        G = np.zeros((B, N, o, D))
        G[..., : h * i] = (C[..., None] * self.X[None, :, None, None, :]).reshape(B, N, o, h * i)
        G[..., self.offB1 : self.offW2] = C
        for m in range(o):
            G[:, :, m, self.offW2 + m * h : self.offW2 + (m + 1) * h] = A
            G[:, :, m, self.offB2 + m] = 1.0
        Gf = G.reshape(B, N * o, D)
        H = np.matmul(Gf.transpose(0, 2, 1), Gf) / N
        Sblk = np.einsum("bsj,sa,sc->bjac", DA * S2 / N, self.Xt, self.Xt)
        Sx = np.einsum("bsm,bsj,sa->bmja", DU, S1, self.Xt) / N
        H[:, self.w1idx[:, :, None], self.w1idx[:, None, :]] += Sblk
        rows = np.broadcast_to(self.w2idx[:, :, None], Sx.shape[1:])
        cols = np.broadcast_to(self.w1idx[None, :, :], Sx.shape[1:])
        H[:, rows, cols] += Sx
        H[:, cols, rows] += Sx
        Q = Q - self.eta * np.matmul(H, Q)
        return W - self.eta * grad, Q


def qr_positive(Q):
    Q, R = np.linalg.qr(Q)
    d = np.diagonal(R, axis1=1, axis2=2)
    Q = Q * np.where(d < 0, -1.0, 1.0)[:, None, :]
    return Q, np.log(np.abs(d))


def main():
    c = json.load(sys.stdin)
    e = Ensemble(c)
    W0 = np.array(c["W0"], dtype=np.float64)
    B, D = W0.shape
    Q0 = np.broadcast_to(np.eye(D), (B, D, D)).copy()
    W, Q = W0.copy(), Q0.copy()
    first = []
    for _ in range(c["checkSteps"]):
        W, Q = e.step(W, Q)
        Q, logr = qr_positive(Q)
        first.append(logr.tolist())
    rates = []
    W, Q = W0.copy(), Q0.copy()
    for _ in range(c["repeats"]):
        t0 = time.perf_counter()
        for _ in range(c["steps"]):
            W, Q = e.step(W, Q)
            Q, _ = qr_positive(Q)
        rates.append(B * c["steps"] / (time.perf_counter() - t0))
    mean, rme = stats(rates)
    json.dump({"runStepsPerSecond": mean, "rme": rme, "runs": B, "firstLogR": first}, sys.stdout)


if __name__ == "__main__":
    main()
