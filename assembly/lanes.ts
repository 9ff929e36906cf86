// One number of every run of an ensemble: LANES = 4 doubles, held as two f64x2 halves (bytes 0-15: runs 0 and 1,
// bytes 16-31: runs 2 and 3). Twin: native/kernels/lanes.h, where a lane-vector is one GCC vector of LANES doubles
// and ld/st/splat read, write and broadcast it; here each of those is done per half, so every kernel keeps two v128
// values (x0, x1) where native keeps one `lanes`. Each lane's arithmetic is exactly that of a scalar double, in the
// order of the native expression, whatever the lanes beside it hold.
//
// Arrays of lane-vectors are structures of arrays: element i of run b at [i LANES + b], i.e. lane-vector i at byte
// 32 i. Pointers are byte addresses in linear memory; v128 loads need no alignment.

/** Runs per lockstep batch (native/kernels/ensemble.h LANES). */
export const LANES: i32 = 4;

/** The address of lane-vector i of the array at base. */
// @ts-ignore: decorator
@inline export function lv(base: usize, i: i32): usize {
  return base + ((<usize>i) << 5);
}

/** The address of the double i of a plain (shared, not per-lane) array. */
// @ts-ignore: decorator
@inline export function f64At(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}

/** Runs 0 and 1 of the lane-vector at p. */
// @ts-ignore: decorator
@inline export function ld0(p: usize): v128 {
  return v128.load(p);
}

/** Runs 2 and 3 of the lane-vector at p. */
// @ts-ignore: decorator
@inline export function ld1(p: usize): v128 {
  return v128.load(p, 16);
}

/** Both halves of the lane-vector at p set to (x0, x1). */
// @ts-ignore: decorator
@inline export function st2(p: usize, x0: v128, x1: v128): void {
  v128.store(p, x0);
  v128.store(p, x1, 16);
}

/** x in every lane (one half; a lane-vector of x is two of these). */
// @ts-ignore: decorator
@inline export function splat(x: f64): v128 {
  return f64x2.splat(x);
}

// @ts-ignore: decorator
@inline export function vadd(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}

// @ts-ignore: decorator
@inline export function vsub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}

// @ts-ignore: decorator
@inline export function vmul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}

// @ts-ignore: decorator
@inline export function vdiv(a: v128, b: v128): v128 {
  return f64x2.div(a, b);
}

/** mask ? a : b per lane (native's vector ternary), mask from an f64x2 comparison (all ones or all zeros). */
// @ts-ignore: decorator
@inline export function vsel(mask: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, mask);
}

/** The lane-vector at dst += the lane-vector at src (both halves). */
// @ts-ignore: decorator
@inline export function acc_lanes(dst: usize, src: usize): void {
  v128.store(dst, f64x2.add(v128.load(dst), v128.load(src)));
  v128.store(dst, f64x2.add(v128.load(dst, 16), v128.load(src, 16)), 16);
}

/** n lane-vectors at p set to zero (a loop of stores: V8's memory.fill is a call, slow for the few lane-vectors of a
 *  sample). */
// @ts-ignore: decorator
@inline export function zero_lanes(p: usize, n: i32): void {
  const zero = f64x2.splat(0.0);
  const end = p + ((<usize>n) << 5);
  for (let q = p; q < end; q += 32) {
    v128.store(q, zero);
    v128.store(q, zero, 16);
  }
}

/** The lane-vector at p += (x0, x1). */
// @ts-ignore: decorator
@inline export function add2(p: usize, x0: v128, x1: v128): void {
  v128.store(p, f64x2.add(v128.load(p), x0));
  v128.store(p, f64x2.add(v128.load(p, 16), x1), 16);
}
