// One number of every run of an ensemble: LANES doubles as a GCC/Clang vector, so that the ensemble kernels are
// written once with ordinary arithmetic and compile to whole-register SIMD (LANES = 4: one AVX2 register, two SSE2)
// with no alias checks and no remainder loops. Each lane's arithmetic is exactly that of a scalar double, in the same
// order, whatever the lanes beside it hold. Twin: assembly/lanes.ts (f64x2 quadruples).
#pragma once
#include "ensemble.h"

namespace wd {

typedef double lanes __attribute__((vector_size(LANES * sizeof(double))));
// The same vector at any double-aligned address (vector types alias their element type): what ld and st go through.
typedef double lanes_u __attribute__((vector_size(LANES * sizeof(double)), aligned(sizeof(double))));

inline lanes ld(const double* p) { return *reinterpret_cast<const lanes_u*>(p); }

inline void st(double* p, lanes v) { *reinterpret_cast<lanes_u*>(p) = v; }

inline lanes splat(double x) { return lanes{} + x; }

}  // namespace wd
