// Up to LANES runs of one three-layer network in lockstep: the runs share the data, the shape, the update rule, the
// route and the minibatches, and differ in their initial state. Every per-run quantity is stored with the runs
// innermost (structure of arrays): element i of run b of an array is at [i * LANES + b], so every inner loop runs over
// the lanes as two f64x2 halves (lanes.ts) without a remainder; unused lanes compute on zeros and are never read.
// Larger ensembles are several of these. Twin: native/kernels/ensemble.{h,cc}.
//
// Independence: a lane's arithmetic never reads another lane, and every lane runs the same operations in the same
// order whatever the run count, so a run's results are bit for bit the same in any batch. A lane whose run diverged
// keeps computing (its numbers are no longer read) until the batch ends.
//
// Memory, as assembly/network.ts: everything ensemble_create sizes is one zeroed block (a failed creation leaves
// nothing behind); each route's workspaces and the minibatch buffers are allocated by the reserve functions before a
// call needs them (native sizes them on first use); the hot loop allocates nothing.
import { heap_alloc, heap_free } from "./heap";
import { bytesOf, reserve } from "./network";
import { LANES } from "./lanes";
import { Rule, RULE_BYTES, rule_set } from "./rule";
import { rule_state_blocks } from "./tables";

@unmanaged
export class Ensemble {
  nIn: i32;
  nHid: i32;
  nOut: i32;
  act: i32;
  outAct: i32;
  N: i32;
  D: i32;
  S: i32;
  maxK: i32;
  runs: i32; // runs in use, 1 .. LANES
  offB1: i32;
  offW2: i32;
  offB2: i32;
  Na: i32; // samples the kernels work on (all, or the step's minibatch)
  actParam: f64;
  rule: usize; // a Rule block (rule.ts)
  // Shared data (X: N x nIn, Y: N x nOut, copied in by the host), the minibatch buffers (0 until reserved), and the
  // samples the kernels read (Xa, Ya: X, Y or Xb, Yb).
  X: usize;
  Y: usize;
  Xb: usize;
  Yb: usize;
  Xa: usize;
  Ya: usize;
  // Per-lane arrays ([i * LANES + b]).
  state: usize; // S
  Q: usize; // S x maxK, column c at [(c S + p) L + b]
  a: usize; // N x h caches of the forward pass: a, s', s'', dloss/da
  s1: usize;
  s2: usize;
  da: usize;
  du: usize; // N x o
  cw: usize;
  fo: usize; // N x o: the output activation's phi, phi', phi'' (u before it)
  p1: usize;
  p2: usize;
  grad: usize; // D
  loss: usize; // 1
  H: usize; // D x D (explicit route), 0 until reserved
  G: usize; // (N o) x D rows grad u_m(x_s) (explicit and factored routes), 0 until reserved
  Gs: usize; // N o: the row weights cw / N (explicit route), 0 until reserved
  Sblk: usize; // h (i+1)^2, 0 until reserved
  Sx: usize; // o h (i+1), 0 until reserved
  P: usize; // (N o) x max(maxK, 1): G V (factored route), 0 until reserved
  HQ: usize; // D x max(maxK, 1)
  Vw: usize; // D x max(maxK, 1) when S > D, else 0
  rz: usize; // h: per-sample scratch of the R-operator
  q: usize; // o
  tau: usize; // max(maxK, 1): QR scratch
  logr: usize; // max(maxK, 1): its log R_jj
  status: usize; // LANES i32, per run: 0 running, else its ChunkReason
  frozenState: usize; // S per run: a stopped run's state when it stopped (native: frozenState)
  frozenQ: usize; // S x max(maxK, 1) per run: its tangent block then
}

/**
 * An ensemble of `runs` (1 .. LANES) runs with zeroed data, states and tangent blocks, or 0 when a size overflows
 * native's limits (S > INT_MAX / 4, S max(maxK, 1) L, N h L or N o D L > INT_MAX) or memory cannot grow. D is
 * h (i + 1) + o (h + 1) (native: network_dimension). The host then copies X and Y in (ensemble_x / ensemble_y).
 */
export function ensemble_create(
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
  runs: i32,
): usize {
  if (nIn < 1 || nHid < 1 || nOut < 1 || N < 1 || maxK < 0) return 0;
  const blocks = rule_state_blocks(ruleId);
  if (blocks < 1) return 0;
  const D: i64 = <i64>nHid * (nIn + 1) + <i64>nOut * (nHid + 1);
  const S: i64 = D * blocks;
  const L: i64 = LANES;
  const k1: i64 = maxK > 0 ? maxK : 1;
  if (runs < 1 || runs > LANES || S > i32.MAX_VALUE / 4 || S * k1 * L > i32.MAX_VALUE) return 0;
  if (<i64>N * nHid * L > i32.MAX_VALUE || <i64>N * nOut * D * L > i32.MAX_VALUE) return 0;
  // The caches a, s1, s2 (N h) and fo, p1, p2 (N o) are padded to an even number of lane-vectors: activation_block
  // runs two at a time (the one past the end is computed and never read). da, du and cw take the same sizes.
  const nh = bytesOf(((<i64>N * nHid + 1) & ~1) * L);
  const no = bytesOf(((<i64>N * nOut + 1) & ~1) * L);
  const head = bytesOf(<i64>((offsetof<Ensemble>() + 7) >> 3));
  // X, Y, rule, state, Q, a, s1, s2, da, du, cw, fo, p1, p2, grad, loss, HQ, Vw, rz, q, tau, logr, status,
  // frozenState, frozenQ.
  const vw: u64 = S > D ? bytesOf(D * k1 * L) : 0;
  const total =
    head + bytesOf(<i64>N * nIn) + bytesOf(<i64>N * nOut) + <u64>((RULE_BYTES + 15) & ~(<usize>15)) +
    bytesOf(S * L) + bytesOf(S * k1 * L) + 4 * nh + 5 * no + bytesOf(D * L) + bytesOf(L) + bytesOf(D * k1 * L) +
    vw + bytesOf(<i64>nHid * L) + bytesOf(<i64>nOut * L) + 2 * bytesOf(k1 * L) + 16 + bytesOf(S * L) +
    bytesOf(S * k1 * L);
  if (total >= 0xffff0000) return 0;
  const base = heap_alloc(total);
  if (base == 0) return 0;
  memory.fill(base, 0, <usize>total);
  const e = changetype<Ensemble>(base);
  e.nIn = nIn;
  e.nHid = nHid;
  e.nOut = nOut;
  e.act = act;
  e.actParam = actParam;
  e.outAct = outAct;
  e.N = N;
  e.D = <i32>D;
  e.S = <i32>S;
  e.maxK = maxK;
  e.runs = runs;
  e.offB1 = nHid * nIn;
  e.offW2 = e.offB1 + nHid;
  e.offB2 = e.offW2 + nOut * nHid;
  let p = base + <usize>head;
  e.X = p;
  p += <usize>bytesOf(<i64>N * nIn);
  e.Y = p;
  p += <usize>bytesOf(<i64>N * nOut);
  e.rule = p;
  rule_set(changetype<Rule>(p), ruleId, eta, p0, p1, p2);
  p += (RULE_BYTES + 15) & ~(<usize>15);
  e.state = p;
  p += <usize>bytesOf(S * L);
  e.Q = p;
  p += <usize>bytesOf(S * k1 * L);
  e.a = p;
  p += <usize>nh;
  e.s1 = p;
  p += <usize>nh;
  e.s2 = p;
  p += <usize>nh;
  e.da = p;
  p += <usize>nh;
  e.du = p;
  p += <usize>no;
  e.cw = p;
  p += <usize>no;
  e.fo = p;
  p += <usize>no;
  e.p1 = p;
  p += <usize>no;
  e.p2 = p;
  p += <usize>no;
  e.grad = p;
  p += <usize>bytesOf(D * L);
  e.loss = p;
  p += <usize>bytesOf(L);
  e.HQ = p;
  p += <usize>bytesOf(D * k1 * L);
  e.Vw = vw > 0 ? p : 0;
  p += <usize>vw;
  e.rz = p;
  p += <usize>bytesOf(<i64>nHid * L);
  e.q = p;
  p += <usize>bytesOf(<i64>nOut * L);
  e.tau = p;
  p += <usize>bytesOf(k1 * L);
  e.logr = p;
  p += <usize>bytesOf(k1 * L);
  e.status = p;
  p += 16;
  e.frozenState = p;
  p += <usize>bytesOf(S * L);
  e.frozenQ = p;
  ensemble_use_all(e);
  return base;
}

/** Allocates G and the summed second-order blocks (the explicit and factored routes); false when memory cannot grow. */
function reserve_factors(e: Ensemble): bool {
  const L = <u64>LANES;
  const i1 = <u64>e.nIn + 1;
  e.G = reserve(e.G, <u64>e.N * <u64>e.nOut * <u64>e.D * L);
  e.Sblk = reserve(e.Sblk, <u64>e.nHid * i1 * i1 * L);
  e.Sx = reserve(e.Sx, <u64>e.nOut * <u64>e.nHid * i1 * L);
  return e.G != 0 && e.Sblk != 0 && e.Sx != 0;
}

/** Allocates the explicit route's H, G, Gs and blocks if not yet done; false when memory cannot grow. */
export function ensemble_reserve_hessian(e: Ensemble): bool {
  const L = <u64>LANES;
  if (!reserve_factors(e)) return false;
  e.H = reserve(e.H, <u64>e.D * <u64>e.D * L);
  e.Gs = reserve(e.Gs, <u64>e.N * <u64>e.nOut * L);
  return e.H != 0 && e.Gs != 0;
}

/** Allocates the factored route's G, blocks and P if not yet done; false when memory cannot grow. */
export function ensemble_reserve_factored(e: Ensemble): bool {
  if (!reserve_factors(e)) return false;
  e.P = reserve(e.P, <u64>e.N * <u64>e.nOut * <u64>(e.maxK > 0 ? e.maxK : 1) * <u64>LANES);
  return e.P != 0;
}

/** Allocates the minibatch buffers Xb and Yb if not yet done; false when memory cannot grow. */
export function ensemble_reserve_batches(e: Ensemble): bool {
  e.Xb = reserve(e.Xb, <u64>e.N * <u64>e.nIn);
  e.Yb = reserve(e.Yb, <u64>e.N * <u64>e.nOut);
  return e.Xb != 0 && e.Yb != 0;
}

/** Frees everything ensemble_create and the reserve functions allocated. */
export function ensemble_free(e: Ensemble): void {
  heap_free(e.Yb);
  heap_free(e.Xb);
  heap_free(e.P);
  heap_free(e.Sx);
  heap_free(e.Sblk);
  heap_free(e.Gs);
  heap_free(e.G);
  heap_free(e.H);
  heap_free(changetype<usize>(e));
}

/** The kernels work on all samples from now on. */
export function ensemble_use_all(e: Ensemble): void {
  e.Xa = e.X;
  e.Ya = e.Y;
  e.Na = e.N;
}

/** The kernels work on the n samples idx[0 .. n) (i32 in [0, N), checked by the host) from now on; the batch buffers
 *  must have been reserved. */
export function ensemble_use_batch(e: Ensemble, idx: usize, n: i32): void {
  const nIn = e.nIn;
  const o = e.nOut;
  for (let b = 0; b < n; ++b) {
    const s = <usize>load<i32>(idx + ((<usize>b) << 2));
    memory.copy(e.Xb + ((<usize>b * <usize>nIn) << 3), e.X + ((s * <usize>nIn) << 3), (<usize>nIn) << 3);
    memory.copy(e.Yb + ((<usize>b * <usize>o) << 3), e.Y + ((s * <usize>o) << 3), (<usize>o) << 3);
  }
  e.Xa = e.Xb;
  e.Ya = e.Yb;
  e.Na = n;
}

/** Run b's ChunkReason (0 while it runs). */
// @ts-ignore: decorator
@inline export function ensemble_status(e: Ensemble, b: i32): i32 {
  return load<i32>(e.status + ((<usize>b) << 2));
}

// @ts-ignore: decorator
@inline export function ensemble_set_status(e: Ensemble, b: i32, reason: i32): void {
  store<i32>(e.status + ((<usize>b) << 2), reason);
}

// The n doubles x[i] from / to element i of lane b of the per-lane array at base.
function scatter_lane(base: usize, b: i32, x: usize, n: i32): void {
  const lane = base + ((<usize>b) << 3);
  for (let i = 0; i < n; ++i) store<f64>(lane + ((<usize>i) << 5), load<f64>(x + ((<usize>i) << 3)));
}

function gather_lane(base: usize, b: i32, x: usize, n: i32): void {
  const lane = base + ((<usize>b) << 3);
  for (let i = 0; i < n; ++i) store<f64>(x + ((<usize>i) << 3), load<f64>(lane + ((<usize>i) << 5)));
}

/** Run b's state (S numbers, w first) in and out; its tangent block (S x maxK, column-major) in and out. */
export function ensemble_set_state(e: Ensemble, b: i32, x: usize): void {
  scatter_lane(e.state, b, x, e.S);
}

/** A stopped run's state and tangent block are those it had when it stopped (ensemble_freeze), whatever its lane
 *  computed afterwards while the others ran on. */
export function ensemble_get_state(e: Ensemble, b: i32, x: usize): void {
  gather_lane(ensemble_status(e, b) == 0 ? e.state : e.frozenState, b, x, e.S);
}

export function ensemble_set_tangent(e: Ensemble, b: i32, Q: usize): void {
  scatter_lane(e.Q, b, Q, e.S * e.maxK);
}

export function ensemble_get_tangent(e: Ensemble, b: i32, Q: usize): void {
  gather_lane(ensemble_status(e, b) == 0 ? e.Q : e.frozenQ, b, Q, e.S * e.maxK);
}

/** Keeps run b's state and tangent block as they are now (it has stopped; native: ensemble_freeze). */
export function ensemble_freeze(e: Ensemble, b: i32): void {
  const lane = (<usize>b) << 3;
  for (let i = 0; i < e.S; ++i) {
    const o = ((<usize>i) << 5) + lane;
    store<f64>(e.frozenState + o, load<f64>(e.state + o));
  }
  const n = e.S * e.maxK;
  for (let i = 0; i < n; ++i) {
    const o = ((<usize>i) << 5) + lane;
    store<f64>(e.frozenQ + o, load<f64>(e.Q + o));
  }
}
