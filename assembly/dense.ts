// Dense kernels on column-major matrices. Twin: native/kernels/dense.cc (its built-in branch; with WEIGHTDYN_HAVE_EIGEN
// native gemm uses Eigen instead, whose rounding differs).
//
// SIMD reductions (f64x2). dot_lanes keeps two f64x2 accumulators (two independent add chains hide the add latency):
// acc0 takes the pairs (4m, 4m+1) and, when n mod 4 >= 2, the last whole pair; acc1 the pairs (4m+2, 4m+3). The
// result is init + (lane0 + lane1) of (acc0 + acc1), then + a[n-1] b[n-1] when n is odd. native's dot_lanes sums
// in exactly this order, so the two agree to the bit. gemm sums each panel of GEMM_KC products left to right in
// every lane, as native's built-in gemm. Elementwise loops (axpy, scale) are bit-identical to native.
import { heap_alloc, heap_free } from "./heap";

// @ts-ignore: decorator
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

/** init + sum_{i<n} a[i] b[i] in the SIMD order described above (two accumulators). */
// @ts-ignore: decorator
@inline export function dot_lanes(init: f64, a: usize, b: usize, n: i32): f64 {
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

// ---- Scratch ----------------------------------------------------------------------------------------------------

// Three scratch slots, kept between calls and grown (never shrunk), as native's dense_scratch: the hot loop allocates
// nothing once the largest size has been seen. Slot 0: QR block workspaces; 2: gemm packing.
let scratchPtr0: usize = 0;
let scratchPtr1: usize = 0;
let scratchPtr2: usize = 0;
let scratchLen0: usize = 0;
let scratchLen1: usize = 0;
let scratchLen2: usize = 0;

/** At least n doubles of scratch slot `slot`; 0 when memory cannot grow. */
export function dense_scratch(slot: i32, n: usize): usize {
  let ptr = slot == 0 ? scratchPtr0 : slot == 1 ? scratchPtr1 : scratchPtr2;
  const len = slot == 0 ? scratchLen0 : slot == 1 ? scratchLen1 : scratchLen2;
  if (len >= n && ptr != 0) return ptr;
  heap_free(ptr);
  ptr = heap_alloc(<u64>n << 3);
  const got: usize = ptr != 0 ? n : 0;
  if (slot == 0) {
    scratchPtr0 = ptr;
    scratchLen0 = got;
  } else if (slot == 1) {
    scratchPtr1 = ptr;
    scratchLen1 = got;
  } else {
    scratchPtr2 = ptr;
    scratchLen2 = got;
  }
  return ptr;
}

/** Frees every scratch slot (for the allocator tests: the heap then returns to where it was). */
export function dense_scratch_release(): void {
  heap_free(scratchPtr0);
  heap_free(scratchPtr1);
  heap_free(scratchPtr2);
  scratchPtr0 = scratchPtr1 = scratchPtr2 = 0;
  scratchLen0 = scratchLen1 = scratchLen2 = 0;
}

// ---- gemm -----------------------------------------------------------------------------------------------------------

// Blocking (GotoBLAS layout, Goto & van de Geijn 2008), the constants of native/kernels/dense.cc: a GEMM_KC x NC panel
// of op(B) in NR-column slivers, an MC x GEMM_KC block of op(A) in MR-row slivers, an MR x NR register tile (eight
// f64x2 accumulators).
// @ts-ignore: decorator
@inline const MR: i32 = 4;
// @ts-ignore: decorator
@inline const NR: i32 = 4;
// @ts-ignore: decorator
@inline const MC: i32 = 64;
// @ts-ignore: decorator
@inline const GEMM_KC: i32 = 256;
// @ts-ignore: decorator
@inline const NC: i32 = 256;
// @ts-ignore: decorator
@inline const SYRK_BLOCK: i32 = 64;
// Packs op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row slivers: element (i, p) of sliver s at s*MR*kc + p*MR + (i mod MR);
// rows past mc are zero.
function pack_a(t: bool, A: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, out: usize): void {
  for (let s = 0; s < mc; s += MR) {
    const rows = min(MR, mc - s);
    const o = out + ((<usize>s * <usize>kc) << 3);
    for (let p = 0; p < kc; ++p) {
      const c = p0 + p;
      for (let i = 0; i < rows; ++i) {
        const r = i0 + s + i;
        const src = t ? at(A, r * lda + c) : at(A, c * lda + r);
        store<f64>(at(o, p * MR + i), load<f64>(src));
      }
      for (let i = rows; i < MR; ++i) store<f64>(at(o, p * MR + i), 0.0);
    }
  }
}

// Packs op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column slivers: element (p, j) of sliver s at s*NR*kc + p*NR + (j mod NR).
function pack_b(t: bool, B: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, out: usize): void {
  for (let s = 0; s < nc; s += NR) {
    const cols = min(NR, nc - s);
    const o = out + ((<usize>s * <usize>kc) << 3);
    for (let j = 0; j < cols; ++j) {
      const c = j0 + s + j;
      for (let p = 0; p < kc; ++p) {
        const r = p0 + p;
        const src = t ? at(B, r * ldb + c) : at(B, c * ldb + r);
        store<f64>(at(o, p * NR + j), load<f64>(src));
      }
    }
    for (let j = cols; j < NR; ++j) for (let p = 0; p < kc; ++p) store<f64>(at(o, p * NR + j), 0.0);
  }
}

// C[ic.., jc..] (mr x nr valid) += alpha * (sum_p a_p b_p^T), the sum left to right from zero in every lane.
// @ts-ignore: decorator
@inline function micro_kernel(kc: i32, a: usize, b: usize, alpha: f64, C: usize, ldc: i32, mr: i32, nr: i32): void {
  let c00 = f64x2.splat(0.0);
  let c10 = f64x2.splat(0.0);
  let c01 = f64x2.splat(0.0);
  let c11 = f64x2.splat(0.0);
  let c02 = f64x2.splat(0.0);
  let c12 = f64x2.splat(0.0);
  let c03 = f64x2.splat(0.0);
  let c13 = f64x2.splat(0.0);
  for (let p = 0; p < kc; ++p) {
    const ap = a + (<usize>p << 5);
    const bp = b + (<usize>p << 5);
    const a0 = v128.load(ap);
    const a1 = v128.load(ap, 16);
    let bj = v128.load64_splat(bp);
    c00 = f64x2.add(c00, f64x2.mul(a0, bj));
    c10 = f64x2.add(c10, f64x2.mul(a1, bj));
    bj = v128.load64_splat(bp, 8);
    c01 = f64x2.add(c01, f64x2.mul(a0, bj));
    c11 = f64x2.add(c11, f64x2.mul(a1, bj));
    bj = v128.load64_splat(bp, 16);
    c02 = f64x2.add(c02, f64x2.mul(a0, bj));
    c12 = f64x2.add(c12, f64x2.mul(a1, bj));
    bj = v128.load64_splat(bp, 24);
    c03 = f64x2.add(c03, f64x2.mul(a0, bj));
    c13 = f64x2.add(c13, f64x2.mul(a1, bj));
  }
  const av = f64x2.splat(alpha);
  const colBytes = <usize>ldc << 3;
  if (mr == MR && nr == NR) {
    let cc = C;
    v128.store(cc, f64x2.add(v128.load(cc), f64x2.mul(av, c00)));
    v128.store(cc, f64x2.add(v128.load(cc, 16), f64x2.mul(av, c10)), 16);
    cc += colBytes;
    v128.store(cc, f64x2.add(v128.load(cc), f64x2.mul(av, c01)));
    v128.store(cc, f64x2.add(v128.load(cc, 16), f64x2.mul(av, c11)), 16);
    cc += colBytes;
    v128.store(cc, f64x2.add(v128.load(cc), f64x2.mul(av, c02)));
    v128.store(cc, f64x2.add(v128.load(cc, 16), f64x2.mul(av, c12)), 16);
    cc += colBytes;
    v128.store(cc, f64x2.add(v128.load(cc), f64x2.mul(av, c03)));
    v128.store(cc, f64x2.add(v128.load(cc, 16), f64x2.mul(av, c13)), 16);
    return;
  }
  // Edge tile: through a small buffer in the packing scratch's tail is not needed; lanes are extracted one by one.
  for (let j = 0; j < nr; ++j) {
    const lo = j == 0 ? c00 : j == 1 ? c01 : j == 2 ? c02 : c03;
    const hi = j == 0 ? c10 : j == 1 ? c11 : j == 2 ? c12 : c13;
    const cc = C + <usize>j * colBytes;
    for (let i = 0; i < mr; ++i) {
      const v =
        i == 0
          ? f64x2.extract_lane(lo, 0)
          : i == 1
            ? f64x2.extract_lane(lo, 1)
            : i == 2
              ? f64x2.extract_lane(hi, 0)
              : f64x2.extract_lane(hi, 1);
      store<f64>(at(cc, i), load<f64>(at(cc, i)) + alpha * v);
    }
  }
}

/**
 * C (m x n, ldc) = beta C + alpha op(A) op(B), op(A) m x kk, op(B) kk x n; op(X) = X^T when transX. beta == 0
 * overwrites C. The kk sum is blocked in panels of GEMM_KC, each summed left to right (native: the same).
 */
export function gemm(
  transA: bool,
  transB: bool,
  m: i32,
  n: i32,
  kk: i32,
  alpha: f64,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  beta: f64,
  C: usize,
  ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (beta != 1.0) {
    for (let j = 0; j < n; ++j) {
      const c = C + ((<usize>j * <usize>ldc) << 3);
      if (beta == 0.0) memory.fill(c, 0, <usize>m << 3);
      else scale(beta, c, m);
    }
  }
  if (kk <= 0 || alpha == 0.0) return;
  const bpack = dense_scratch(2, <usize>GEMM_KC * NC + <usize>MC * GEMM_KC);
  if (bpack == 0) unreachable();
  const apack = bpack + ((<usize>GEMM_KC * NC) << 3);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < kk; pc += GEMM_KC) {
      const kc = min(GEMM_KC, kk - pc);
      pack_b(transB, B, ldb, pc, kc, jc, nc, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        pack_a(transA, A, lda, ic, mc, pc, kc, apack);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            micro_kernel(
              kc,
              apack + ((<usize>ir * <usize>kc) << 3),
              bpack + ((<usize>jr * <usize>kc) << 3),
              alpha,
              C + ((<usize>(jc + jr) * <usize>ldc + <usize>(ic + ir)) << 3),
              ldc,
              mr,
              nr,
            );
          }
        }
      }
    }
  }
}

/** C (n x k) = A B for a symmetric A (n x n) and B (n x k), leading dimension n, without packing; below
 * SYMM_TIMES_MAX_N, where gemm's packing costs more than it saves. Each element is a dot product of a column of A (the
 * row it equals) with a column of B, two rows and two columns at a time, summed as native's symm_times: one f64x2
 * accumulator (even q, odd q), then lane0 + lane1, then the last term when n is odd. */
export const SYMM_TIMES_MAX_N: i32 = 64;

// @ts-ignore: decorator
@inline function symm_dot(a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0.0);
  let q = 0;
  for (; q + 2 <= n; q += 2) {
    const off = <usize>q << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + off), v128.load(b + off)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (q < n) s += load<f64>(at(a, q)) * load<f64>(at(b, q));
  return s;
}

export function symm_times(A: usize, n: i32, B: usize, k: i32, C: usize): void {
  const colBytes = <usize>n << 3;
  let j = 0;
  for (; j + 2 <= k; j += 2) {
    const b0 = B + <usize>j * colBytes;
    const b1 = b0 + colBytes;
    const c0 = C + <usize>j * colBytes;
    const c1 = c0 + colBytes;
    let p = 0;
    for (; p + 2 <= n; p += 2) {
      const a0 = A + <usize>p * colBytes;
      const a1 = a0 + colBytes;
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
      const a0 = A + <usize>p * colBytes;
      store<f64>(at(c0, p), symm_dot(a0, b0, n));
      store<f64>(at(c1, p), symm_dot(a0, b1, n));
    }
  }
  for (; j < k; ++j) {
    const b0 = B + <usize>j * colBytes;
    const c0 = C + <usize>j * colBytes;
    for (let p = 0; p < n; ++p) store<f64>(at(c0, p), symm_dot(A + <usize>p * colBytes, b0, n));
  }
}

/**
 * syrk_upper for n <= SYMM_TIMES_MAX_N, without packing: rank-4 updates of the upper triangle, column q of C taking
 * ((e0 a0 + e1 a1) + e2 a2) + e3 a3 over rows p <= q, e_i = B[q, r+i], a_i = A[:, r+i] (then one rank-1 update per
 * remaining r). The products are gemm's; the sum is grouped by fours (rounding differs from gemm, not the maths).
 * Twin: native/kernels/dense.cc syrk_upper_small, bit-identical.
 */
function syrk_upper_small(n: i32, kk: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const ldaBytes = <usize>lda << 3;
  const ldbBytes = <usize>ldb << 3;
  const ldcBytes = <usize>ldc << 3;
  for (let q = 0; q < n; ++q) memory.fill(C + <usize>q * ldcBytes, 0, <usize>(q + 1) << 3);
  let r = 0;
  for (; r + 4 <= kk; r += 4) {
    const a0 = A + <usize>r * ldaBytes;
    const a1 = a0 + ldaBytes;
    const a2 = a1 + ldaBytes;
    const a3 = a2 + ldaBytes;
    const b0 = B + <usize>r * ldbBytes;
    const b1 = b0 + ldbBytes;
    const b2 = b1 + ldbBytes;
    const b3 = b2 + ldbBytes;
    for (let q = 0; q < n; ++q) {
      const e0 = load<f64>(at(b0, q));
      const e1 = load<f64>(at(b1, q));
      const e2 = load<f64>(at(b2, q));
      const e3 = load<f64>(at(b3, q));
      const v0 = f64x2.splat(e0);
      const v1 = f64x2.splat(e1);
      const v2 = f64x2.splat(e2);
      const v3 = f64x2.splat(e3);
      const cq = C + <usize>q * ldcBytes;
      const len = q + 1;
      let p = 0;
      for (; p + 2 <= len; p += 2) {
        const off = <usize>p << 3;
        let t = f64x2.mul(v0, v128.load(a0 + off));
        t = f64x2.add(t, f64x2.mul(v1, v128.load(a1 + off)));
        t = f64x2.add(t, f64x2.mul(v2, v128.load(a2 + off)));
        t = f64x2.add(t, f64x2.mul(v3, v128.load(a3 + off)));
        v128.store(cq + off, f64x2.add(v128.load(cq + off), t));
      }
      if (p < len) {
        const t =
          e0 * load<f64>(at(a0, p)) + e1 * load<f64>(at(a1, p)) + e2 * load<f64>(at(a2, p)) + e3 * load<f64>(at(a3, p));
        store<f64>(at(cq, p), load<f64>(at(cq, p)) + t);
      }
    }
  }
  for (; r < kk; ++r) {
    const a0 = A + <usize>r * ldaBytes;
    const b0 = B + <usize>r * ldbBytes;
    for (let q = 0; q < n; ++q) axpy_add(load<f64>(at(b0, q)), a0, C + <usize>q * ldcBytes, q + 1);
  }
}

/**
 * The upper triangle (diagonal included) of C (n x n) = A B^T for A, B (n x kk, lda, ldb), by blocks of columns of
 * width SYRK_BLOCK through gemm; the strictly lower part of the diagonal blocks is written too (symmetrize_upper
 * overwrites it). For n <= SYMM_TIMES_MAX_N, unpacked rank-4 updates instead (syrk_upper_small).
 */
export function syrk_upper(n: i32, kk: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  if (n <= SYMM_TIMES_MAX_N) {
    syrk_upper_small(n, kk, A, lda, B, ldb, C, ldc);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += SYRK_BLOCK) {
    const jb = min(SYRK_BLOCK, n - j0);
    gemm(false, true, j0 + jb, jb, kk, 1.0, A, lda, at(B, j0), ldb, 0.0, C + ((<usize>j0 * <usize>ldc) << 3), ldc);
  }
}

/** C[q, p] = C[p, q] for q > p (lower triangle from the upper), by square tiles. */
export function symmetrize_upper(C: usize, n: i32, ldc: i32): void {
  const T = 32;
  for (let p0 = 0; p0 < n; p0 += T)
    for (let q0 = p0; q0 < n; q0 += T) {
      const p1 = min(n, p0 + T);
      const q1 = min(n, q0 + T);
      for (let q = q0; q < q1; ++q) {
        const pe = min(p1, q);
        for (let p = p0; p < pe; ++p) store<f64>(at(C, p * ldc + q), load<f64>(at(C, q * ldc + p)));
      }
    }
}
