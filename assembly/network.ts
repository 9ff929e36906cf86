// A three-layer network bound to its data: shape, parameter layout, per-sample caches and workspaces.
// Twin: native/kernels/network.{h,cc}. Everything is allocated once, in network_create, as a single block (so a
// failed creation leaves nothing behind and network_free is one call); the explicit-route H and G are allocated on
// first use (network_reserve_hessian), as in native. The hot loop allocates nothing.
//
// Parameter vector order (fixed convention): W1 (h x i, row-major), b1 (h), W2 (o x h, row-major), b2 (o),
// so D = h (i + 1) + o (h + 1). All arrays are float64; pointers are byte addresses in linear memory.
import { heap_alloc, heap_free } from "./heap";
import { Rule, RULE_BYTES, rule_set } from "./rule";
import { rule_state_blocks } from "./tables";

@unmanaged
export class Network {
  // Shape and activations.
  nIn: i32;
  nHid: i32;
  nOut: i32;
  act: i32;
  outAct: i32;
  N: i32; // samples
  D: i32; // parameters
  S: i32; // state dimension: D times the rule's state blocks
  maxK: i32; // most tangent vectors a call may carry
  // Offsets (in elements) of the blocks b1, W2, b2 in w.
  offB1: i32;
  offW2: i32;
  offB2: i32;
  // The samples the kernels work on: all of X, Y (Na = N) or the step's minibatch gathered into Xb, Yb
  // (network_use_batch). Every kernel reads its data through Xa, Ya, Na.
  Na: i32;
  actParam: f64;
  // Data, copied in by the host after creation: X (N x nIn), Y (N x nOut), row-major.
  X: usize;
  Y: usize;
  Xa: usize;
  Ya: usize;
  Xb: usize; // N x nIn, 0 until reserved (network_reserve_batches)
  Yb: usize; // N x nOut, 0 until reserved
  rule: usize; // the update rule (a Rule block inside this network's allocation)
  // Per-sample caches filled by mlp_forward (sample-major): a = s(z), s1 = s'(z), s2 = s''(z), da = W2^T du (N x h);
  // du = r phi'(u), cw = phi'(u)^2 + r phi''(u) (N x o).
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
  // The state the host reads and writes (NetworkKernel.state / .tangent); the weights are state[0 .. D).
  state: usize; // S
  Q: usize; // S x maxK, column-major
}

export function network_dimension(nIn: i32, nHid: i32, nOut: i32): i64 {
  return <i64>nHid * (<i64>nIn + 1) + <i64>nOut * (<i64>nHid + 1);
}

// Bytes of an array of n doubles, rounded up to 16 so every array starts 16-byte aligned.
// @ts-ignore: decorator
@inline function bytesOf(n: i64): u64 {
  return (<u64>n * 8 + 15) & ~(<u64>15);
}

/**
 * Sizes the network and allocates (zeroed) data, caches, workspaces, the rule, the state and Q. Returns 0 when a size
 * overflows the same limits as native (S > INT_MAX / 4, N h > INT_MAX, S maxK > INT_MAX) or memory cannot grow
 * enough. The host then copies X and Y in (network_x / network_y).
 */
export function network_create(
  nIn: i32,
  nHid: i32,
  nOut: i32,
  act: i32,
  actParam: f64,
  outAct: i32,
  N: i32,
  maxK: i32,
  ruleId: i32,
  eta: f64,
  p0: f64,
  p1: f64,
  p2: f64,
): usize {
  if (nIn < 1 || nHid < 1 || nOut < 1 || N < 1 || maxK < 0) return 0;
  const blocks = rule_state_blocks(ruleId);
  if (blocks < 1) return 0;
  const D = network_dimension(nIn, nHid, nOut);
  const S = D * blocks;
  if (S > i32.MAX_VALUE / 4 || <i64>N * nHid > i32.MAX_VALUE || S * maxK > i32.MAX_VALUE) return 0;
  const k1: i64 = maxK > 0 ? maxK : 1;
  const vw: u64 = S > D ? bytesOf(D * k1) : 0;
  const nh = bytesOf(<i64>N * nHid);
  const no = bytesOf(<i64>N * nOut);
  const head = bytesOf(<i64>((offsetof<Network>() + 7) >> 3));
  // X, Y, a, s1, s2, da, du, cw, grad, HQ, Vw, tau, rz, q, rule, state, Q (this order, below).
  const total =
    head + bytesOf(<i64>N * nIn) + no + 4 * nh + 2 * no + bytesOf(D) + bytesOf(D * k1) + vw + bytesOf(k1) +
    bytesOf(nHid) + bytesOf(nOut) + <u64>RULE_BYTES + 8 + bytesOf(S) + bytesOf(S * maxK);
  if (total >= 0xffff0000) return 0;
  const base = heap_alloc(total);
  if (base == 0) return 0;
  memory.fill(base, 0, <usize>total);
  const net = changetype<Network>(base);
  net.nIn = nIn;
  net.nHid = nHid;
  net.nOut = nOut;
  net.act = act;
  net.actParam = actParam;
  net.outAct = outAct;
  net.N = N;
  net.D = <i32>D;
  net.S = <i32>S;
  net.maxK = maxK;
  net.offB1 = nHid * nIn;
  net.offW2 = net.offB1 + nHid;
  net.offB2 = net.offW2 + nOut * nHid;
  let p = base + <usize>head;
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
  net.rule = p;
  rule_set(changetype<Rule>(p), ruleId, eta, p0, p1, p2);
  p += <usize>((RULE_BYTES + 15) & ~(<usize>15));
  net.state = p;
  p += <usize>bytesOf(S);
  net.Q = p;
  net.Xa = net.X;
  net.Ya = net.Y;
  net.Na = N;
  net.Xb = 0;
  net.Yb = 0;
  net.H = 0;
  net.G = 0;
  net.Gs = 0;
  net.P = 0;
  net.Sblk = 0;
  net.Sx = 0;
  return base;
}

// ptr when already allocated, else a new block of n zeroed doubles (0 when memory cannot grow).
// @ts-ignore: decorator
@inline function reserve(ptr: usize, n: u64): usize {
  if (ptr != 0) return ptr;
  const p = heap_alloc(n * 8);
  if (p != 0) memory.fill(p, 0, <usize>(n * 8));
  return p;
}

/** Allocates G, S and the summed second-order blocks (shared by the explicit and factored routes); false on failure. */
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

/** Allocates H (D x D), G and Gs ((N o) x D) and S of the explicit route if not yet done; false when memory cannot grow. */
export function network_reserve_hessian(net: Network): bool {
  const D = <u64>net.D;
  net.H = reserve(net.H, D * D);
  if (net.H == 0 || !reserve_factors(net)) return false;
  net.Gs = reserve(net.Gs, <u64>net.N * <u64>net.nOut * D);
  return net.Gs != 0;
}

/** Allocates G, S and P ((N o) x max(maxK, 1)) of the factored route if not yet done; false when memory cannot grow. */
export function network_reserve_factored(net: Network): bool {
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
