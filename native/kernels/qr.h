// Householder QR with a positive diagonal of R. Twin: assembly/qr.ts.
#pragma once

namespace wd {

// A (D x k, column-major, k <= D) = Q R; A is overwritten by the thin Q, R (k x k, column-major, upper) is written
// to R when R is not null, log|R_jj| to logRDiag. Signs are fixed so that R_jj >= 0 (A = (Q S)(S R), S = diag(+-1)).
// tau is scratch of length k. A zero column gives R_jj = 0 and log R_jj = -inf.
void qr_positive(double* A, int D, int k, double* R, double* logRDiag, double* tau);

}  // namespace wd
