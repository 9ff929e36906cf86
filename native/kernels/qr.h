// Householder QR with a positive diagonal of R, blocked (compact WY). Twin: assembly/qr.ts.
#pragma once

namespace wd {

// Columns per block of the blocked QR; k <= 2 QR_BLOCK runs the unblocked algorithm (one panel).
constexpr int QR_BLOCK = 32;

// A (D x k, column-major, k <= D) = Q R; A is overwritten by the thin Q, R (k x k, column-major, upper) is written
// to R when R is not null, log|R_jj| to logRDiag. Signs are fixed so that R_jj >= 0 (A = (Q S)(S R), S = diag(+-1)).
// tau is scratch of length k; the block workspaces come from dense_scratch. A zero column gives R_jj = 0 and
// log R_jj = -inf.
void qr_positive(double* A, int D, int k, double* R, double* logRDiag, double* tau);

}  // namespace wd
