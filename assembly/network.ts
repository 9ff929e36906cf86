// A network of L hidden layers bound to its data: shape, parameter layout, per-sample caches and workspaces.
// Twin: native/kernels/network.{h,cc}. Everything is allocated once, in network_create, as a single block (so a
// failed creation leaves nothing behind and network_free is one call); each route's workspaces are allocated on its
// first use (network_reserve_hessian, network_reserve_factored), as in native. The hot loop allocates nothing.
//
// Widths n_0 = inputs, n_1 .. n_L (hidden), n_{L+1} = outputs. Parameter vector order (fixed convention): W1 (n_1 x n_0,
// row-major), b1, W2 (n_2 x n_1), b2, ..., W_{L+1} (n_{L+1} x n_L), b_{L+1}; D = sum_l n_l (n_{l-1} + 1). For L = 1
// the three-layer kernels (mlp.ts, hessian.ts) run, for L >= 2 the general ones (deep_*.ts): depth.ts picks them.
// All arrays are float64 unless noted; pointers are byte addresses in linear memory.
import { heap_alloc, heap_free } from "./heap";
import { Rule, RULE_BYTES, rule_set } from "./rule";
import { rule_state_blocks } from "./tables";

/** With a nonzero value, networks of one hidden layer run the general-depth kernels too (depth.ts; tests only). */
export let deep_force: i32 = 0;

export function set_deep_force(on: i32): void {
  deep_force = on;
}

@unmanaged
export class Network {
  // Shape and activations: nIn = n_0, nHid = n_1, nOut = n_{L+1}; act, actParam: the first hidden layer's (the
  // three-layer kernels read these).
  nIn: i32;
  nHid: i32;
  nOut: i32;
  act: i32;
  outAct: i32;
  L: i32; // hidden layers
  N: i32; // samples
  D: i32; // parameters
  S: i32; // state dimension: D times the rule's state blocks
  maxK: i32; // most tangent vectors a call may carry
  // Offsets (in elements) of the blocks b1, W2, b2 in w (the three-layer kernels).
  offB1: i32;
  offW2: i32;
  offB2: i32;
  hidSum: i32; // n_1 + ... + n_L
  nMax: i32; // max(n_1, ..., n_{L+1})
  // The samples the kernels work on: all of X, Y (Na = N) or the step's minibatch gathered into Xb, Yb
  // (network_use_batch). Every kernel reads its data through Xa, Ya, Na.
  Na: i32;
  actParam: f64;
  // The general layout (i32 arrays unless noted): width[l] = n_l (l = 0 .. L+1); acts[l-1] and actParams[l-1] (f64)
  // of hidden layer l; offW[l-1], offB[l-1] the offsets of W_l, b_l (l = 1 .. L+1); cacheOff[l-1] the offset (in
  // elements) of hidden layer l's block (N x n_l) in the caches; hidOff[l-1] = n_1 + ... + n_{l-1}.
  width: usize;
  acts: usize;
  actParams: usize;
  offW: usize;
  offB: usize;
  cacheOff: usize;
  hidOff: usize;
  // Data, copied in by the host after creation: X (N x nIn), Y (N x nOut), row-major.
  X: usize;
  Y: usize;
  Xa: usize;
  Ya: usize;
  Xb: usize; // N x nIn, 0 until reserved (network_reserve_batches)
  Yb: usize; // N x nOut, 0 until reserved
  rule: usize; // the update rule (a Rule block inside this network's allocation)
  // Per-sample caches filled by the forward pass (sample-major within each hidden layer's block): a = s(z),
  // s1 = s'(z), s2 = s''(z), da = dloss/da (N x n_l each, N x hidSum in all); du = r phi'(u),
  // cw = phi'(u)^2 + r phi''(u) (N x o).
  a: usize;
  s1: usize;
  s2: usize;
  da: usize;
  du: usize;
  cw: usize;
  // Workspaces.
  grad: usize; // D
  H: usize; // D x D, explicit route, 0 until reserved
  G: usize; // (N o) x D, rows grad u_m(x_s) (= D x (N o) column-major), explicit and factored routes, 0 until reserved
  Gs: usize; // (N o) x D, the rows of G scaled by cw / N, explicit route, 0 until reserved
  P: usize; // (N o) x max(maxK, 1), G Q, factored route, 0 until reserved
  Sblk: usize; // h x (i+1) x (i+1): sum_s da s'' x~ x~^T / N, 0 until reserved
  Sx: usize; // o x h x (i+1): sum_s du_m s'(z_j) x~ / N, 0 until reserved
  HQ: usize; // D x max(maxK, 1), H times the w-rows of the tangent block
  Vw: usize; // D x max(maxK, 1) when S > D (the w-rows of the tangent block, contiguous), else 0
  tau: usize; // max(maxK, 1), Householder scalars
  rz: usize; // h, per-sample scratch of the Hessian-vector product
  q: usize; // o
  rd: usize; // hidSum + 2 nMax: the general per-sample R-operator's scratch (deep_rop.ts)
  // The general explicit route's workspaces (deep_hessian.ts), 0 until reserved: the K blocks of three levels, the
  // sample rows, the inputs with their 1 and one unit's block.
  Kp: usize;
  Kq: usize;
  Kn: usize;
  T: usize;
  At: usize;
  Cb: usize;
  // The general factored route's workspaces (deep_rop.ts), 0 until reserved.
  RZ: usize;
  RA: usize;
  RD: usize;
  RG: usize;
  Del: usize;
  // The state the host reads and writes (NetworkKernel.state / .tangent); the weights are state[0 .. D).
  state: usize; // S
  Q: usize; // S x maxK, column-major
}

// @ts-ignore: decorator
@inline export function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + ((<usize>i) << 2));
}

/** D = sum_l n_l (n_{l-1} + 1) for the L + 2 widths (i32) at `widths`. */
export function network_dimension(L: i32, widths: usize): i64 {
  let D: i64 = 0;
  for (let l = 1; l <= L + 1; ++l) D += <i64>i32At(widths, l) * (<i64>i32At(widths, l - 1) + 1);
  return D;
}

// Bytes of an array of n doubles, rounded up to 16 so every array starts 16-byte aligned.
// @ts-ignore: decorator
@inline export function bytesOf(n: i64): u64 {
  return (<u64>n * 8 + 15) & ~(<u64>15);
}

// Bytes of an array of n i32, rounded up to 16.
// @ts-ignore: decorator
@inline function bytesOfI32(n: i64): u64 {
  return (<u64>n * 4 + 15) & ~(<u64>15);
}

/**
 * Sizes the network and allocates (zeroed) data, caches, workspaces, the rule, the state and Q. The shape comes from
 * the host through linear memory: widths (i32, L + 2: inputs, hidden widths, outputs), acts (i32, L + 1: the hidden
 * activations, then the output activation) and actParams (f64, L). Returns 0 when a size overflows the same limits as
 * native (S > INT_MAX / 4, N hidSum > INT_MAX, S maxK > INT_MAX) or memory cannot grow enough. The host then copies
 * X and Y in (network_x / network_y).
 */
export function network_create(
  L: i32,
  widths: usize,
  acts: usize,
  actParams: usize,
  N: i32,
  maxK: i32,
  ruleId: i32,
  eta: f64,
  p0: f64,
  p1: f64,
  p2: f64,
): usize {
  if (L < 1 || N < 1 || maxK < 0) return 0;
  for (let l = 0; l <= L + 1; ++l) if (i32At(widths, l) < 1) return 0;
  const blocks = rule_state_blocks(ruleId);
  if (blocks < 1) return 0;
  const nIn = i32At(widths, 0);
  const nHid = i32At(widths, 1);
  const nOut = i32At(widths, L + 1);
  const D = network_dimension(L, widths);
  const S = D * blocks;
  let hidSum: i64 = 0;
  let nMax = nOut;
  for (let l = 1; l <= L; ++l) {
    const n = i32At(widths, l);
    hidSum += n;
    if (n > nMax) nMax = n;
  }
  if (S > i32.MAX_VALUE / 4 || <i64>N * hidSum > i32.MAX_VALUE || S * maxK > i32.MAX_VALUE) return 0;
  const k1: i64 = maxK > 0 ? maxK : 1;
  const vw: u64 = S > D ? bytesOf(D * k1) : 0;
  const nh = bytesOf(<i64>N * hidSum);
  const no = bytesOf(<i64>N * nOut);
  const head = bytesOf(<i64>((offsetof<Network>() + 7) >> 3));
  // The layout arrays: width, acts, offW, offB, cacheOff, hidOff (i32), actParams (f64).
  const layout =
    bytesOfI32(L + 2) + bytesOfI32(L) + 2 * bytesOfI32(L + 1) + 2 * bytesOfI32(L) + bytesOf(L);
  // X, Y, a, s1, s2, da, du, cw, grad, HQ, Vw, tau, rz, q, rd, rule, state, Q (this order, below).
  const total =
    head + layout + bytesOf(<i64>N * nIn) + no + 4 * nh + 2 * no + bytesOf(D) + bytesOf(D * k1) + vw + bytesOf(k1) +
    bytesOf(nHid) + bytesOf(nOut) + bytesOf(hidSum + 2 * <i64>nMax) + <u64>RULE_BYTES + 8 + bytesOf(S) +
    bytesOf(S * maxK);
  if (total >= 0xffff0000) return 0;
  const base = heap_alloc(total);
  if (base == 0) return 0;
  memory.fill(base, 0, <usize>total);
  const net = changetype<Network>(base);
  net.nIn = nIn;
  net.nHid = nHid;
  net.nOut = nOut;
  net.act = i32At(acts, 0);
  net.actParam = load<f64>(actParams);
  net.outAct = i32At(acts, L);
  net.L = L;
  net.N = N;
  net.D = <i32>D;
  net.S = <i32>S;
  net.maxK = maxK;
  net.hidSum = <i32>hidSum;
  net.nMax = nMax;
  let p = base + <usize>head;
  net.width = p;
  p += <usize>bytesOfI32(L + 2);
  net.acts = p;
  p += <usize>bytesOfI32(L);
  net.offW = p;
  p += <usize>bytesOfI32(L + 1);
  net.offB = p;
  p += <usize>bytesOfI32(L + 1);
  net.cacheOff = p;
  p += <usize>bytesOfI32(L);
  net.hidOff = p;
  p += <usize>bytesOfI32(L);
  net.actParams = p;
  p += <usize>bytesOf(L);
  memory.copy(net.width, widths, (<usize>(L + 2)) << 2);
  memory.copy(net.acts, acts, (<usize>L) << 2);
  memory.copy(net.actParams, actParams, (<usize>L) << 3);
  let off = 0;
  for (let l = 1; l <= L + 1; ++l) {
    store<i32>(net.offW + ((<usize>(l - 1)) << 2), off);
    off += i32At(widths, l) * i32At(widths, l - 1);
    store<i32>(net.offB + ((<usize>(l - 1)) << 2), off);
    off += i32At(widths, l);
  }
  let hid = 0;
  for (let l = 1; l <= L; ++l) {
    store<i32>(net.cacheOff + ((<usize>(l - 1)) << 2), N * hid);
    store<i32>(net.hidOff + ((<usize>(l - 1)) << 2), hid);
    hid += i32At(widths, l);
  }
  net.offB1 = i32At(net.offB, 0);
  net.offW2 = i32At(net.offW, 1);
  net.offB2 = i32At(net.offB, 1);
  net.X = p;
  p += <usize>bytesOf(<i64>N * nIn);
  net.Y = p;
  p += <usize>no;
  net.a = p;
  p += <usize>nh;
  net.s1 = p;
  p += <usize>nh;
  net.s2 = p;
  p += <usize>nh;
  net.da = p;
  p += <usize>nh;
  net.du = p;
  p += <usize>no;
  net.cw = p;
  p += <usize>no;
  net.grad = p;
  p += <usize>bytesOf(D);
  net.HQ = p;
  p += <usize>bytesOf(D * k1);
  net.Vw = vw > 0 ? p : 0;
  p += <usize>vw;
  net.tau = p;
  p += <usize>bytesOf(k1);
  net.rz = p;
  p += <usize>bytesOf(nHid);
  net.q = p;
  p += <usize>bytesOf(nOut);
  net.rd = p;
  p += <usize>bytesOf(hidSum + 2 * <i64>nMax);
  net.rule = p;
  rule_set(changetype<Rule>(p), ruleId, eta, p0, p1, p2);
  p += <usize>((RULE_BYTES + 15) & ~(<usize>15));
  net.state = p;
  p += <usize>bytesOf(S);
  net.Q = p;
  net.Xa = net.X;
  net.Ya = net.Y;
  net.Na = N;
  return base;
}

// ptr when already allocated, else a new block of n zeroed doubles (0 when memory cannot grow).
// @ts-ignore: decorator
@inline export function reserve(ptr: usize, n: u64): usize {
  if (ptr != 0) return ptr;
  const p = heap_alloc(n * 8);
  if (p != 0) memory.fill(p, 0, <usize>(n * 8));
  return p;
}

/** True when this network runs the general-depth kernels (depth.ts). */
// @ts-ignore: decorator
@inline export function network_deep(net: Network): bool {
  return net.L > 1 || deep_force != 0;
}

/** Allocates G, S and the summed second-order blocks (shared by the three-layer explicit and factored routes). */
function reserve_factors(net: Network): bool {
  const D = <u64>net.D;
  const rows = <u64>net.N * <u64>net.nOut;
  const i1 = <u64>net.nIn + 1;
  net.G = reserve(net.G, rows * D);
  if (net.G == 0) return false;
  net.Sblk = reserve(net.Sblk, <u64>net.nHid * i1 * i1);
  if (net.Sblk == 0) return false;
  net.Sx = reserve(net.Sx, <u64>net.nOut * <u64>net.nHid * i1);
  return net.Sx != 0;
}

/** Allocates the general explicit route's workspaces (deep_hessian.ts: the sizes of native's reserve). */
function reserve_deep_explicit(net: Network): bool {
  const L = net.L;
  const N = <u64>net.N;
  let cMax: u64 = 0;
  let dqMax: u64 = 0;
  let inMax: u64 = 0;
  for (let q = 1; q <= L + 1; ++q) {
    const nq = <u64>i32At(net.width, q);
    const nq1 = <u64>i32At(net.width, q - 1);
    if (nq + nq1 > cMax) cMax = nq + nq1;
    if (nq * (nq1 + 1) > dqMax) dqMax = nq * (nq1 + 1);
    if (nq1 > inMax) inMax = nq1;
  }
  const level = N * cMax * <u64>net.nMax;
  net.Kp = reserve(net.Kp, level);
  net.Kq = reserve(net.Kq, level);
  net.Kn = reserve(net.Kn, level);
  net.T = reserve(net.T, N * dqMax);
  net.At = reserve(net.At, N * (inMax + 1));
  net.Cb = reserve(net.Cb, (inMax + 1) * dqMax);
  return net.Kp != 0 && net.Kq != 0 && net.Kn != 0 && net.T != 0 && net.At != 0 && net.Cb != 0;
}

/** Columns per block of the general factored route: its workspace is about DEEP_FACTORED_DOUBLES doubles. */
export const DEEP_FACTORED_DOUBLES: i64 = 1 << 21;
export function deep_factored_block(net: Network): i32 {
  const perVector = <i64>net.N * (2 * <i64>net.hidSum + <i64>net.nOut + 2 * <i64>net.nMax);
  const kb = DEEP_FACTORED_DOUBLES / perVector;
  const cap: i64 = net.maxK > 0 ? net.maxK : 1;
  return <i32>max<i64>(1, min<i64>(kb, cap));
}

/** Allocates the general factored route's workspaces (deep_rop.ts: the sizes of native's). */
function reserve_deep_factored(net: Network): bool {
  const N = <u64>net.N;
  const kb = <u64>deep_factored_block(net);
  const hs = <u64>net.hidSum;
  net.RZ = reserve(net.RZ, N * kb * (hs + <u64>net.nOut));
  net.RA = reserve(net.RA, N * kb * (hs > 0 ? hs : 1));
  net.RD = reserve(net.RD, N * kb * <u64>net.nMax);
  net.RG = reserve(net.RG, N * kb * <u64>net.nMax);
  net.Del = reserve(net.Del, N * (hs + <u64>net.nOut));
  return net.RZ != 0 && net.RA != 0 && net.RD != 0 && net.RG != 0 && net.Del != 0;
}

/** Allocates H (D x D) and the explicit route's workspaces of this network's kernels if not yet done; false when
 *  memory cannot grow. */
export function network_reserve_hessian(net: Network): bool {
  const D = <u64>net.D;
  net.H = reserve(net.H, D * D);
  if (net.H == 0) return false;
  if (network_deep(net)) return reserve_deep_explicit(net);
  if (!reserve_factors(net)) return false;
  net.Gs = reserve(net.Gs, <u64>net.N * <u64>net.nOut * D);
  return net.Gs != 0;
}

/** Allocates the factored route's workspaces of this network's kernels if not yet done; false when memory cannot
 *  grow. */
export function network_reserve_factored(net: Network): bool {
  if (network_deep(net)) return reserve_deep_factored(net);
  if (!reserve_factors(net)) return false;
  net.P = reserve(net.P, <u64>net.N * <u64>net.nOut * <u64>(net.maxK > 0 ? net.maxK : 1));
  return net.P != 0;
}

/** Allocates the minibatch buffers Xb and Yb if not yet done; false when memory cannot grow. */
export function network_reserve_batches(net: Network): bool {
  net.Xb = reserve(net.Xb, <u64>net.N * <u64>net.nIn);
  if (net.Xb == 0) return false;
  net.Yb = reserve(net.Yb, <u64>net.N * <u64>net.nOut);
  return net.Yb != 0;
}

/** The kernels work on all samples from now on. */
export function network_use_all(net: Network): void {
  net.Xa = net.X;
  net.Ya = net.Y;
  net.Na = net.N;
}

/** The kernels work on the n samples idx[0 .. n) (i32 indices in [0, N), checked by the host) from now on. The batch
 *  buffers must have been reserved. */
export function network_use_batch(net: Network, idx: usize, n: i32): void {
  const nIn = net.nIn;
  const o = net.nOut;
  for (let b = 0; b < n; ++b) {
    const s = load<i32>(idx + ((<usize>b) << 2));
    memory.copy(net.Xb + ((<usize>(b * nIn)) << 3), net.X + ((<usize>s * <usize>nIn) << 3), (<usize>nIn) << 3);
    memory.copy(net.Yb + ((<usize>(b * o)) << 3), net.Y + ((<usize>s * <usize>o) << 3), (<usize>o) << 3);
  }
  net.Xa = net.Xb;
  net.Ya = net.Yb;
  net.Na = n;
}

/** Frees everything network_create and the reserve functions allocated. */
export function network_free(net: Network): void {
  heap_free(net.Del);
  heap_free(net.RG);
  heap_free(net.RD);
  heap_free(net.RA);
  heap_free(net.RZ);
  heap_free(net.Cb);
  heap_free(net.At);
  heap_free(net.T);
  heap_free(net.Kn);
  heap_free(net.Kq);
  heap_free(net.Kp);
  heap_free(net.Yb);
  heap_free(net.Xb);
  heap_free(net.Sx);
  heap_free(net.Sblk);
  heap_free(net.P);
  heap_free(net.Gs);
  heap_free(net.G);
  heap_free(net.H);
  heap_free(changetype<usize>(net));
}
