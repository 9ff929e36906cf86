// Small dense kernels. Twin: native/kernels/dense.cc (its built-in branch; with WEIGHTDYN_HAVE_EIGEN native uses
// Eigen instead, whose rounding differs).
//
// SIMD reductions (f64x2). native sums a dot product strictly left to right. dot_simd keeps two f64x2 accumulators
// (two independent add chains hide the add latency): acc0 takes the pairs (4m, 4m+1) and, when n mod 4 >= 2, the
// last whole pair; acc1 the pairs (4m+2, 4m+3). The result is init + (lane0 + lane1) of (acc0 + acc1), then
// + a[n-1] b[n-1] when n is odd. The 2x2 blocks of symm_times and the hvp row sums use one accumulator per dot
// product: init + (even-index sum + odd-index sum) [+ last]. These differ from native by rounding only (a few ulp of
// the terms), which the parity tolerances (1e-12 relative) absorb. Elementwise loops (axpy, scale) are bit-identical
// to native.

// @ts-ignore: decorator
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

/** init + sum_{i<n} a[i] b[i] in the SIMD order described above (two accumulators). */
// @ts-ignore: decorator
@inline export function dot_simd(init: f64, a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0.0);
  let acc2 = f64x2.splat(0.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + off), v128.load(b + off)));
    acc2 = f64x2.add(acc2, f64x2.mul(v128.load(a + off, 16), v128.load(b + off, 16)));
  }
  if (i + 2 <= n) {
    const off = <usize>i << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + off), v128.load(b + off)));
    i += 2;
  }
  acc = f64x2.add(acc, acc2);
  let s = init + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
  if (i < n) s += load<f64>(at(a, i)) * load<f64>(at(b, i));
  return s;
}

/** y[i] -= c x[i], i < n (bit-identical to the scalar loop). */
// @ts-ignore: decorator
@inline export function axpy_sub(c: f64, x: usize, y: usize, n: i32): void {
  const cv = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    v128.store(y + off, f64x2.sub(v128.load(y + off), f64x2.mul(cv, v128.load(x + off))));
  }
  if (i < n) store<f64>(at(y, i), load<f64>(at(y, i)) - c * load<f64>(at(x, i)));
}

/** y[i] += c x[i], i < n (bit-identical to the scalar loop). */
// @ts-ignore: decorator
@inline export function axpy_add(c: f64, x: usize, y: usize, n: i32): void {
  const cv = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    v128.store(y + off, f64x2.add(v128.load(y + off), f64x2.mul(cv, v128.load(x + off))));
  }
  if (i < n) store<f64>(at(y, i), load<f64>(at(y, i)) + c * load<f64>(at(x, i)));
}

/** x[i] *= c, i < n (bit-identical to the scalar loop). */
// @ts-ignore: decorator
@inline export function scale(c: f64, x: usize, n: i32): void {
  const cv = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = <usize>i << 3;
    v128.store(x + off, f64x2.mul(v128.load(x + off), cv));
  }
  if (i < n) store<f64>(at(x, i), load<f64>(at(x, i)) * c);
}

// C = A B for A (n x n, symmetric, row- or column-major alike), B (n x k, column-major), C (n x k, column-major).
// C[:, j] = A B[:, j] as dot products of the (contiguous) rows of the symmetric A with columns of B, two rows and two
// columns at a time for register reuse (as native); each of the four dot products is an f64x2 reduction.
export function symm_times(A: usize, n: i32, B: usize, k: i32, C: usize): void {
  const rowBytes = <usize>n << 3;
  let j = 0;
  for (; j + 2 <= k; j += 2) {
    const b0 = B + <usize>j * rowBytes;
    const b1 = b0 + rowBytes;
    const c0 = C + <usize>j * rowBytes;
    const c1 = c0 + rowBytes;
    let p = 0;
    for (; p + 2 <= n; p += 2) {
      const a0 = A + <usize>p * rowBytes;
      const a1 = a0 + rowBytes;
      let v00 = f64x2.splat(0.0);
      let v01 = f64x2.splat(0.0);
      let v10 = f64x2.splat(0.0);
      let v11 = f64x2.splat(0.0);
      let q = 0;
      for (; q + 2 <= n; q += 2) {
        const off = <usize>q << 3;
        const x0 = v128.load(a0 + off);
        const x1 = v128.load(a1 + off);
        const y0 = v128.load(b0 + off);
        const y1 = v128.load(b1 + off);
        v00 = f64x2.add(v00, f64x2.mul(x0, y0));
        v01 = f64x2.add(v01, f64x2.mul(x0, y1));
        v10 = f64x2.add(v10, f64x2.mul(x1, y0));
        v11 = f64x2.add(v11, f64x2.mul(x1, y1));
      }
      let s00 = f64x2.extract_lane(v00, 0) + f64x2.extract_lane(v00, 1);
      let s01 = f64x2.extract_lane(v01, 0) + f64x2.extract_lane(v01, 1);
      let s10 = f64x2.extract_lane(v10, 0) + f64x2.extract_lane(v10, 1);
      let s11 = f64x2.extract_lane(v11, 0) + f64x2.extract_lane(v11, 1);
      if (q < n) {
        const x0 = load<f64>(at(a0, q));
        const x1 = load<f64>(at(a1, q));
        const y0 = load<f64>(at(b0, q));
        const y1 = load<f64>(at(b1, q));
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      store<f64>(at(c0, p), s00);
      store<f64>(at(c1, p), s01);
      store<f64>(at(c0, p + 1), s10);
      store<f64>(at(c1, p + 1), s11);
    }
    for (; p < n; ++p) {
      const a0 = A + <usize>p * rowBytes;
      store<f64>(at(c0, p), dot_simd(0.0, a0, b0, n));
      store<f64>(at(c1, p), dot_simd(0.0, a0, b1, n));
    }
  }
  for (; j < k; ++j) {
    const b0 = B + <usize>j * rowBytes;
    const c0 = C + <usize>j * rowBytes;
    for (let p = 0; p < n; ++p) store<f64>(at(c0, p), dot_simd(0.0, A + <usize>p * rowBytes, b0, n));
  }
}
