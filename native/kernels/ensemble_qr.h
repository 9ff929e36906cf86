// Householder QR with a positive diagonal of R for every lane of a batch of tangent blocks. Twin:
// assembly/ensemble_qr.ts.
#pragma once

namespace wd {

// A: n x k per lane (column c of lane b at [(c n + i) LANES + b], k <= n) = Q R; A is overwritten by the thin Q with
// R_jj >= 0, log|R_jj| goes to logRDiag[j LANES + b]. tau: k LANES scratch. The algorithm of qr.cc, unblocked (the
// ensembles are small networks): H_j = I - tau_j v_j v_j^T, then Q = H_0 ... H_{k-1} [I; 0] backwards, each column's
// sign fixed as it is finished.
void qr_positive_lanes(double* A, int n, int k, double* logRDiag, double* tau);

}  // namespace wd
