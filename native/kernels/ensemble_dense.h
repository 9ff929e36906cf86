// The two dense products of the explicit route for every run of an ensemble (n x n per lane, the runs innermost:
// element i of run b at [i LANES + b]). Twin: assembly/ensemble_dense.ts.
#pragma once
#include <cstddef>

namespace wd {

// C (n x n per lane, upper triangle, column-major) = sum_r (w_r G[r]) G[r]^T over `rows` rows of G (rows x n per
// lane) with the row weights w (rows per lane). Elements below the diagonal may be written; the caller mirrors.
void syrk_upper_lanes(int n, size_t rows, const double* G, const double* w, double* C);

// HV = H V (H: n x n per lane, column-major, both triangles; V, HV: n x k per lane).
void symm_times_lanes(const double* H, int n, const double* V, int k, double* HV);

}  // namespace wd
