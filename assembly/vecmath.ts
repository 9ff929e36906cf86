// exp, tanh and the logistic function of two lanes (one f64x2 half of a lane-vector, lanes.ts), as straight-line
// vector arithmetic with selects: the ensemble kernels evaluate their activations with these instead of the scalar
// libm. Twin: native/kernels/vecmath.h: the same operations in the same order (its ternaries over lane masks are
// v128.bitselect over f64x2 comparisons here, its integer lanes i64x2), so both backends round alike up to the fused
// multiply-adds native may form. Every lane of an ensemble computes exactly the same operations.
//
// Accuracy (native's measurement, test/26 there): exp within 1 ulp, tanh within 4 ulps, the logistic function within
// 2 ulps of glibc; the single-run kernels use the libm (activations.ts), so an ensemble's run agrees with the same run
// alone to rounding, not to the bit.
import { splat, vadd, vdiv, vmul, vsel, vsub } from "./lanes";

const LN2_HI: f64 = 6.93147180369123816490e-1; // ln 2, high 32 bits (fdlibm)
const LN2_LO: f64 = 1.90821492927058770002e-10; // ln 2 - LN2_HI
const INV_LN2: f64 = 1.442695040888963387;
const ROUND: f64 = 6755399441055744.0; // 1.5 2^52: x + ROUND - ROUND rounds x to an integer
const ROUND_BITS: i64 = 0x4338000000000000; // the bits of ROUND

// e^r - 1 for |r| <= ln(2) / 2 + 1e-3: Taylor to r^13 / 13! (the next term is < 2^-60 r there), Horner form.
// @ts-ignore: decorator
@inline function expm1_small(r: v128): v128 {
  let p = splat(1.0 / 6227020800.0); // 1/13!
  p = vadd(vmul(p, r), splat(1.0 / 479001600.0)); // 1/12!
  p = vadd(vmul(p, r), splat(1.0 / 39916800.0)); // 1/11!
  p = vadd(vmul(p, r), splat(1.0 / 3628800.0)); // 1/10!
  p = vadd(vmul(p, r), splat(1.0 / 362880.0)); // 1/9!
  p = vadd(vmul(p, r), splat(1.0 / 40320.0)); // 1/8!
  p = vadd(vmul(p, r), splat(1.0 / 5040.0)); // 1/7!
  p = vadd(vmul(p, r), splat(1.0 / 720.0)); // 1/6!
  p = vadd(vmul(p, r), splat(1.0 / 120.0)); // 1/5!
  p = vadd(vmul(p, r), splat(1.0 / 24.0)); // 1/4!
  p = vadd(vmul(p, r), splat(1.0 / 6.0)); // 1/3!
  p = vadd(vmul(p, r), splat(0.5)); // 1/2!
  return vadd(r, vmul(vmul(r, r), p));
}

// x = n ln 2 + r (Cody-Waite) for x in [-1075 ln 2, 1023 ln 2] with |r| <= ln(2) / 2. native's reduce() returns
// {kk, n, expm1(r)} at once; here in two steps: kk = n + ROUND (so that n is read from the low bits of kk, with no
// double-to-integer conversion), then expm1(r) given n = kk - ROUND.
// @ts-ignore: decorator
@inline function reduce_kk(x: v128): v128 {
  return vadd(vmul(x, splat(INV_LN2)), splat(ROUND));
}

// @ts-ignore: decorator
@inline function reduce_pm1(x: v128, n: v128): v128 {
  return expm1_small(vsub(vsub(x, vmul(n, splat(LN2_HI))), vmul(n, splat(LN2_LO))));
}

// 2^(n + offset) from kk = n + ROUND, for n + offset in [-1022, 1023] (offset: i64x2).
// @ts-ignore: decorator
@inline function pow2(kk: v128, offset: v128): v128 {
  const e = i64x2.add(i64x2.add(i64x2.sub(kk, i64x2.splat(ROUND_BITS)), offset), i64x2.splat(1023));
  return i64x2.shl(e, 52);
}

/** e^x: 0 below -745.2, +inf above 709.79, NaN for NaN. 2^n is applied as two factors beyond |n| = 1000, so that
 *  both e^x and every intermediate stay representable from 2^-1074 to the largest double. */
// @ts-ignore: decorator
@inline export function exp(x: v128): v128 {
  const below = f64x2.lt(x, splat(-745.2));
  const above = f64x2.gt(x, splat(709.79));
  const xc = vsel(below, splat(-745.2), vsel(above, splat(709.79), x));
  const kk = reduce_kk(xc);
  const n = vsub(kk, splat(ROUND));
  const pm1 = reduce_pm1(xc, n);
  const tiny = f64x2.lt(n, splat(-1000.0)); // masks: -1 or 0 per lane
  const huge = f64x2.gt(n, splat(1000.0));
  const offset = v128.or(v128.and(tiny, i64x2.splat(1000)), v128.and(huge, i64x2.splat(-1000)));
  const s1 = pow2(kk, offset);
  const s2 = vsel(tiny, splat(9.3326361850321887899e-302), vsel(huge, splat(1.07150860718626732095e301), splat(1.0)));
  const y = vmul(vadd(s1, vmul(s1, pm1)), s2);
  return vsel(f64x2.ne(x, x), x, vsel(below, splat(0.0), vsel(above, splat(Infinity), y)));
}

/** tanh x = u / (u + 2) with u = e^(2|x|) - 1 = 2^n expm1(r) + (2^n - 1) (exact for n = 0, no cancellation beyond a
 *  factor 2 otherwise), the sign of x restored; 2|x| is capped at 44, where u / (u + 2) rounds to 1; |x| below 2^-28
 *  is its own tanh; NaN for NaN. */
// @ts-ignore: decorator
@inline export function tanh(x: v128): v128 {
  const neg = f64x2.lt(x, splat(0.0));
  const ax = vsel(neg, f64x2.neg(x), x);
  const y = vmul(splat(2.0), ax);
  const yc = vsel(f64x2.lt(y, splat(44.0)), y, splat(44.0));
  const kk = reduce_kk(yc);
  const pm1 = reduce_pm1(yc, vsub(kk, splat(ROUND)));
  const s = pow2(kk, i64x2.splat(0));
  const u = vadd(vmul(s, pm1), vsub(s, splat(1.0)));
  const t = vsel(f64x2.lt(ax, splat(3.7252902984e-9)), ax, vdiv(u, vadd(u, splat(2.0))));
  return vsel(f64x2.ne(x, x), x, vsel(neg, f64x2.neg(t), t));
}

/** 1 / (1 + e^-z), written so that neither branch overflows (as activations.ts: logistic). */
// @ts-ignore: decorator
@inline export function logistic(z: v128): v128 {
  const pos = f64x2.ge(z, splat(0.0));
  const e = exp(vsel(pos, f64x2.neg(z), z));
  const d = vadd(splat(1.0), e);
  return vsel(pos, vdiv(splat(1.0), d), vdiv(e, d));
}
