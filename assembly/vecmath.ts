// exp, tanh and the logistic function of every lane of a lane-vector (lanes.ts: two f64x2 halves), as straight-line
// vector arithmetic with selects: the ensemble kernels evaluate their activations with these instead of the scalar
// libm. Twin: native/kernels/vecmath.h: the same operations in the same order (its ternaries over lane masks are
// v128.bitselect over f64x2 comparisons here, or pmin/pmax where they are the same comparison, and its integer lanes
// i64x2), so both backends round alike up to the fused multiply-adds native may form. Every lane of an ensemble
// computes exactly the same operations.
//
// native's functions take and return one lane-vector; here they read two (four f64x2 halves) at p and write the
// results to q (p == q is allowed), and the four halves' long dependency chains (the Horner polynomial above all) are
// written interleaved, statement by statement: V8 keeps the order of the code, and one half's chain after the other
// leaves the out-of-order core waiting on latencies (tanh of a lane-vector took 53 ns so, 32 ns with two halves
// interleaved and 21 ns with four, measured on this machine in a microbenchmark).
//
// Accuracy (native's measurement): exp within 1 ulp, tanh within 4 ulps, the logistic function within 2 ulps of glibc;
// the single-run kernels use the libm (activations.ts), so an ensemble's run agrees with the same run alone to
// rounding, not to the bit.
import { splat, st2, vadd, vdiv, vmul, vsel, vsub } from "./lanes";

const LN2_HI: f64 = 6.93147180369123816490e-1; // ln 2, high 32 bits (fdlibm)
const LN2_LO: f64 = 1.90821492927058770002e-10; // ln 2 - LN2_HI
const INV_LN2: f64 = 1.442695040888963387;
const ROUND: f64 = 6755399441055744.0; // 1.5 2^52: x + ROUND - ROUND rounds x to an integer
const ROUND_BITS: i64 = 0x4338000000000000; // the bits of ROUND

// One Horner step p r + c.
// @ts-ignore: decorator
@inline function horner(p: v128, r: v128, c: f64): v128 {
  return vadd(vmul(p, r), splat(c));
}

// r + r^2 p(r), the last step of expm1_small.
// @ts-ignore: decorator
@inline function expm1_finish(r: v128, p: v128): v128 {
  return vadd(r, vmul(vmul(r, r), p));
}

// e^r - 1 of the four halves r0 .. r3 to the two lane-vectors at q, for |r| <= ln(2) / 2 + 1e-3: Taylor to r^13 / 13!
// (the next term is < 2^-60 r there), Horner form.
// @ts-ignore: decorator
@inline function expm1_small_to(r0: v128, r1: v128, r2: v128, r3: v128, q: usize): void {
  let p0 = splat(1.0 / 6227020800.0); // 1/13!
  let p1 = p0;
  let p2 = p0;
  let p3 = p0;
  p0 = horner(p0, r0, 1.0 / 479001600.0); // 1/12!
  p1 = horner(p1, r1, 1.0 / 479001600.0);
  p2 = horner(p2, r2, 1.0 / 479001600.0);
  p3 = horner(p3, r3, 1.0 / 479001600.0);
  p0 = horner(p0, r0, 1.0 / 39916800.0); // 1/11!
  p1 = horner(p1, r1, 1.0 / 39916800.0);
  p2 = horner(p2, r2, 1.0 / 39916800.0);
  p3 = horner(p3, r3, 1.0 / 39916800.0);
  p0 = horner(p0, r0, 1.0 / 3628800.0); // 1/10!
  p1 = horner(p1, r1, 1.0 / 3628800.0);
  p2 = horner(p2, r2, 1.0 / 3628800.0);
  p3 = horner(p3, r3, 1.0 / 3628800.0);
  p0 = horner(p0, r0, 1.0 / 362880.0); // 1/9!
  p1 = horner(p1, r1, 1.0 / 362880.0);
  p2 = horner(p2, r2, 1.0 / 362880.0);
  p3 = horner(p3, r3, 1.0 / 362880.0);
  p0 = horner(p0, r0, 1.0 / 40320.0); // 1/8!
  p1 = horner(p1, r1, 1.0 / 40320.0);
  p2 = horner(p2, r2, 1.0 / 40320.0);
  p3 = horner(p3, r3, 1.0 / 40320.0);
  p0 = horner(p0, r0, 1.0 / 5040.0); // 1/7!
  p1 = horner(p1, r1, 1.0 / 5040.0);
  p2 = horner(p2, r2, 1.0 / 5040.0);
  p3 = horner(p3, r3, 1.0 / 5040.0);
  p0 = horner(p0, r0, 1.0 / 720.0); // 1/6!
  p1 = horner(p1, r1, 1.0 / 720.0);
  p2 = horner(p2, r2, 1.0 / 720.0);
  p3 = horner(p3, r3, 1.0 / 720.0);
  p0 = horner(p0, r0, 1.0 / 120.0); // 1/5!
  p1 = horner(p1, r1, 1.0 / 120.0);
  p2 = horner(p2, r2, 1.0 / 120.0);
  p3 = horner(p3, r3, 1.0 / 120.0);
  p0 = horner(p0, r0, 1.0 / 24.0); // 1/4!
  p1 = horner(p1, r1, 1.0 / 24.0);
  p2 = horner(p2, r2, 1.0 / 24.0);
  p3 = horner(p3, r3, 1.0 / 24.0);
  p0 = horner(p0, r0, 1.0 / 6.0); // 1/3!
  p1 = horner(p1, r1, 1.0 / 6.0);
  p2 = horner(p2, r2, 1.0 / 6.0);
  p3 = horner(p3, r3, 1.0 / 6.0);
  p0 = horner(p0, r0, 0.5); // 1/2!
  p1 = horner(p1, r1, 0.5);
  p2 = horner(p2, r2, 0.5);
  p3 = horner(p3, r3, 0.5);
  st2(q, expm1_finish(r0, p0), expm1_finish(r1, p1));
  st2(q + 32, expm1_finish(r2, p2), expm1_finish(r3, p3));
}

// x = n ln 2 + r (Cody-Waite) for x in [-1075 ln 2, 1023 ln 2] with |r| <= ln(2) / 2. native's reduce() returns
// {kk, n, expm1(r)}; here kk = n + ROUND (so that n is read from the low bits of kk, with no double-to-integer
// conversion), n = kk - ROUND, r from n, and expm1(r) by expm1_small_to.
// @ts-ignore: decorator
@inline function reduce_kk(x: v128): v128 {
  return vadd(vmul(x, splat(INV_LN2)), splat(ROUND));
}

// @ts-ignore: decorator
@inline function reduce_r(x: v128, n: v128): v128 {
  return vsub(vsub(x, vmul(n, splat(LN2_HI))), vmul(n, splat(LN2_LO)));
}

// 2^(n + offset) from kk = n + ROUND, for n + offset in [-1022, 1023] (offset: i64x2).
// @ts-ignore: decorator
@inline function pow2(kk: v128, offset: v128): v128 {
  const e = i64x2.add(i64x2.add(i64x2.sub(kk, i64x2.splat(ROUND_BITS)), offset), i64x2.splat(1023));
  return i64x2.shl(e, 52);
}

// native's clamp x < -745.2 ? -745.2 : (x > 709.79 ? 709.79 : x) as pmax then pmin (b < a ? b : a): the same
// comparisons.
// @ts-ignore: decorator
@inline function exp_clamp(x: v128): v128 {
  return f64x2.pmin(f64x2.pmax(x, splat(-745.2)), splat(709.79));
}

// e^x of one half from its reduction (kk, n) and pm1 = expm1(r): 2^n applied as two factors beyond |n| = 1000, so
// that both e^x and every intermediate stay representable from 2^-1074 to the largest double; 0 below -745.2, +inf
// above 709.79, NaN for NaN.
// @ts-ignore: decorator
@inline function exp_scale(x: v128, kk: v128, n: v128, pm1: v128): v128 {
  const tiny = f64x2.lt(n, splat(-1000.0)); // masks: -1 or 0 per lane
  const huge = f64x2.gt(n, splat(1000.0));
  const offset = v128.or(v128.and(tiny, i64x2.splat(1000)), v128.and(huge, i64x2.splat(-1000)));
  const s1 = pow2(kk, offset);
  const s2 = vsel(tiny, splat(9.3326361850321887899e-302), vsel(huge, splat(1.07150860718626732095e301), splat(1.0)));
  const y = vmul(vadd(s1, vmul(s1, pm1)), s2);
  const out = vsel(f64x2.lt(x, splat(-745.2)), splat(0.0), vsel(f64x2.gt(x, splat(709.79)), splat(Infinity), y));
  return vsel(f64x2.ne(x, x), x, out);
}

/** e^x of the two lane-vectors at p, to q. */
// @ts-ignore: decorator
@inline export function exp_lanes(p: usize, q: usize): void {
  const x0 = v128.load(p);
  const x1 = v128.load(p, 16);
  const x2 = v128.load(p, 32);
  const x3 = v128.load(p, 48);
  const xc0 = exp_clamp(x0);
  const xc1 = exp_clamp(x1);
  const xc2 = exp_clamp(x2);
  const xc3 = exp_clamp(x3);
  const kk0 = reduce_kk(xc0);
  const kk1 = reduce_kk(xc1);
  const kk2 = reduce_kk(xc2);
  const kk3 = reduce_kk(xc3);
  const n0 = vsub(kk0, splat(ROUND));
  const n1 = vsub(kk1, splat(ROUND));
  const n2 = vsub(kk2, splat(ROUND));
  const n3 = vsub(kk3, splat(ROUND));
  expm1_small_to(reduce_r(xc0, n0), reduce_r(xc1, n1), reduce_r(xc2, n2), reduce_r(xc3, n3), q);
  v128.store(q, exp_scale(x0, kk0, n0, v128.load(q)));
  v128.store(q, exp_scale(x1, kk1, n1, v128.load(q, 16)), 16);
  v128.store(q, exp_scale(x2, kk2, n2, v128.load(q, 32)), 32);
  v128.store(q, exp_scale(x3, kk3, n3, v128.load(q, 48)), 48);
}

// tanh of one half from |x|, its reduction kk and pm1 = expm1(r): u / (u + 2) with u = 2^n expm1(r) + (2^n - 1);
// |x| below 2^-28 is its own tanh; NaN for NaN. native returns x < 0 ? -t : t from ax = x < 0 ? -x : x; here
// ax = |x| and the sign bit of x is or-ed into t (t >= 0), which gives the same bits for every x, -0 included
// (native: ax = -0, t = -0; here ax = +0, t = +0, then -0).
// @ts-ignore: decorator
@inline function tanh_finish(x: v128, ax: v128, kk: v128, pm1: v128): v128 {
  const s = pow2(kk, i64x2.splat(0));
  const u = vadd(vmul(s, pm1), vsub(s, splat(1.0)));
  const t = vsel(f64x2.lt(ax, splat(3.7252902984e-9)), ax, vdiv(u, vadd(u, splat(2.0))));
  return vsel(f64x2.ne(x, x), x, v128.or(t, v128.and(x, i64x2.splat(0x8000000000000000))));
}

// min(2|x|, 44) (native: y < 44 ? y : 44, the same comparison).
// @ts-ignore: decorator
@inline function tanh_arg(ax: v128): v128 {
  return f64x2.pmin(splat(44.0), vmul(splat(2.0), ax));
}

/** tanh x of the two lane-vectors at p, to q: u / (u + 2) with u = e^(2|x|) - 1 = 2^n expm1(r) + (2^n - 1) (exact
 *  for n = 0, no cancellation beyond a factor 2 otherwise), the sign of x restored; 2|x| is capped at 44, where
 *  u / (u + 2) rounds to 1. */
// @ts-ignore: decorator
@inline export function tanh_lanes(p: usize, q: usize): void {
  const x0 = v128.load(p);
  const x1 = v128.load(p, 16);
  const x2 = v128.load(p, 32);
  const x3 = v128.load(p, 48);
  const ax0 = f64x2.abs(x0);
  const ax1 = f64x2.abs(x1);
  const ax2 = f64x2.abs(x2);
  const ax3 = f64x2.abs(x3);
  const y0 = tanh_arg(ax0);
  const y1 = tanh_arg(ax1);
  const y2 = tanh_arg(ax2);
  const y3 = tanh_arg(ax3);
  const kk0 = reduce_kk(y0);
  const kk1 = reduce_kk(y1);
  const kk2 = reduce_kk(y2);
  const kk3 = reduce_kk(y3);
  const r0 = reduce_r(y0, vsub(kk0, splat(ROUND)));
  const r1 = reduce_r(y1, vsub(kk1, splat(ROUND)));
  const r2 = reduce_r(y2, vsub(kk2, splat(ROUND)));
  const r3 = reduce_r(y3, vsub(kk3, splat(ROUND)));
  expm1_small_to(r0, r1, r2, r3, q);
  v128.store(q, tanh_finish(x0, ax0, kk0, v128.load(q)));
  v128.store(q, tanh_finish(x1, ax1, kk1, v128.load(q, 16)), 16);
  v128.store(q, tanh_finish(x2, ax2, kk2, v128.load(q, 32)), 32);
  v128.store(q, tanh_finish(x3, ax3, kk3, v128.load(q, 48)), 48);
}

// 1 / (1 + e) or e / (1 + e) by the sign of z, given e = e^-|z|.
// @ts-ignore: decorator
@inline function logistic_finish(z: v128, e: v128): v128 {
  const d = vadd(splat(1.0), e);
  return vsel(f64x2.ge(z, splat(0.0)), vdiv(splat(1.0), d), vdiv(e, d));
}

/** 1 / (1 + e^-z) of the two lane-vectors at p, to q, written so that neither branch overflows (as activations.ts:
 *  logistic). native's exponent z >= 0 ? -z : z is -|z| here, equal but for the sign of a zero, which exp does not
 *  see. */
// @ts-ignore: decorator
@inline export function logistic_lanes(p: usize, q: usize): void {
  const z0 = v128.load(p);
  const z1 = v128.load(p, 16);
  const z2 = v128.load(p, 32);
  const z3 = v128.load(p, 48);
  st2(q, f64x2.neg(f64x2.abs(z0)), f64x2.neg(f64x2.abs(z1)));
  st2(q + 32, f64x2.neg(f64x2.abs(z2)), f64x2.neg(f64x2.abs(z3)));
  exp_lanes(q, q);
  v128.store(q, logistic_finish(z0, v128.load(q)));
  v128.store(q, logistic_finish(z1, v128.load(q, 16)), 16);
  v128.store(q, logistic_finish(z2, v128.load(q, 32)), 32);
  v128.store(q, logistic_finish(z3, v128.load(q, 48)), 48);
}
