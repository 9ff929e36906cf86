// exp, tanh and the logistic function of every lane (lanes.h), as straight-line vector arithmetic with selects: the
// ensemble kernels evaluate their activations with these instead of glibc's scalar calls. Twin: assembly/vecmath.ts
// (the same operations in the same order, so both backends round alike up to fused multiply-adds).
//
// Accuracy, measured against glibc over 2e6 arguments (test/26): exp within 1 ulp, tanh within 4 ulps, the logistic
// function within 2 ulps. The single-run kernels use glibc (activations.h), so an ensemble's run agrees with the same
// run alone to rounding, not to the bit; every lane of an ensemble computes exactly the same operations.
#pragma once
#include <cmath>
#include <cstdint>

#include "lanes.h"

namespace wd {

namespace vecmath {

constexpr double LN2_HI = 6.93147180369123816490e-01;  // ln 2, high 32 bits (fdlibm)
constexpr double LN2_LO = 1.90821492927058770002e-10;  // ln 2 - LN2_HI
constexpr double INV_LN2 = 1.44269504088896338700e+00;
constexpr double ROUND = 6755399441055744.0;           // 1.5 2^52: x + ROUND - ROUND rounds x to an integer
constexpr int64_t ROUND_BITS = 0x4338000000000000LL;   // the bits of ROUND

typedef int64_t lanes_i __attribute__((vector_size(LANES * sizeof(int64_t))));

inline lanes_i bits_of(lanes x) { return reinterpret_cast<lanes_i&>(x); }
inline lanes from_bits(lanes_i b) { return reinterpret_cast<lanes&>(b); }

// e^r - 1 for |r| <= ln(2) / 2 + 1e-3: Taylor to r^13 / 13! (the next term is < 2^-60 r there), Horner form.
inline lanes expm1_small(lanes r) {
  lanes p = splat(1.0 / 6227020800.0);  // 1/13!
  p = p * r + 1.0 / 479001600.0;        // 1/12!
  p = p * r + 1.0 / 39916800.0;         // 1/11!
  p = p * r + 1.0 / 3628800.0;          // 1/10!
  p = p * r + 1.0 / 362880.0;           // 1/9!
  p = p * r + 1.0 / 40320.0;            // 1/8!
  p = p * r + 1.0 / 5040.0;             // 1/7!
  p = p * r + 1.0 / 720.0;              // 1/6!
  p = p * r + 1.0 / 120.0;              // 1/5!
  p = p * r + 1.0 / 24.0;               // 1/4!
  p = p * r + 1.0 / 6.0;                // 1/3!
  p = p * r + 0.5;                      // 1/2!
  return r + r * r * p;
}

// x = n ln 2 + r (Cody-Waite) for x in [-1075 ln 2, 1023 ln 2] with |r| <= ln(2) / 2: kk = n + ROUND, so that n is
// read from the low bits of kk (no double-to-integer conversion, which AVX2 lacks), and expm1(r).
struct Reduced {
  lanes kk, n, pm1;
};
inline Reduced reduce(lanes x) {
  const lanes kk = x * INV_LN2 + ROUND;
  const lanes n = kk - ROUND;
  const lanes r = (x - n * LN2_HI) - n * LN2_LO;
  return {kk, n, expm1_small(r)};
}

// 2^(n + offset) from kk = n + ROUND, for n + offset in [-1022, 1023].
inline lanes pow2(lanes kk, lanes_i offset) { return from_bits(((bits_of(kk) - ROUND_BITS) + offset + 1023) << 52); }

// e^x: 0 below -745.2, +inf above 709.79, NaN for NaN. 2^n is applied as two factors beyond |n| = 1000, so that both
// e^x and every intermediate stay representable from 2^-1074 to the largest double.
inline lanes exp(lanes x) {
  const lanes xc = x < -745.2 ? splat(-745.2) : (x > 709.79 ? splat(709.79) : x);
  const Reduced q = reduce(xc);
  const lanes_i tiny = q.n < -1000.0, huge = q.n > 1000.0;  // masks: -1 or 0 per lane
  const lanes_i offset = (tiny & 1000) | (huge & -1000);
  const lanes s1 = pow2(q.kk, offset);
  const lanes s2 = tiny ? splat(9.33263618503218878990e-302) : (huge ? splat(1.07150860718626732095e+301) : splat(1.0));
  const lanes y = (s1 + s1 * q.pm1) * s2;
  return x != x ? x : (x < -745.2 ? splat(0.0) : (x > 709.79 ? splat(INFINITY) : y));
}

// tanh x = u / (u + 2) with u = e^(2|x|) - 1 = 2^n expm1(r) + (2^n - 1) (exact for n = 0, no cancellation beyond a
// factor 2 otherwise), the sign of x restored; 2|x| is capped at 44, where u / (u + 2) rounds to 1; |x| below 2^-28
// is its own tanh; NaN for NaN.
inline lanes tanh(lanes x) {
  const lanes ax = x < 0 ? -x : x;
  const lanes y = 2.0 * ax;
  const Reduced q = reduce(y < 44.0 ? y : splat(44.0));
  const lanes s = pow2(q.kk, lanes_i{});
  const lanes u = s * q.pm1 + (s - 1.0);
  const lanes t = ax < 3.7252902984e-09 ? ax : u / (u + 2.0);
  return x != x ? x : (x < 0 ? -t : t);
}

// 1 / (1 + e^-z), written so that neither branch overflows (as activations.h: logistic).
inline lanes logistic(lanes z) {
  const lanes e = exp(z >= 0 ? -z : z);
  return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

}  // namespace vecmath

}  // namespace wd
