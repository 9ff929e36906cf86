/**
 * The memory and time plan of a run, made before anything large is allocated (the twin, for a whole run, of the CLV
 * plan in src/algorithms/clv-memory.ts), and the `limits` section of a run config.
 *
 *   planRun(config, samples, backend?) -> RunPlan        sizes, the route, flops per step; allocates nothing
 *   checkRunPlan(plan) -> plan                           or RunPlanError (a ConfigError naming the field to change)
 *   plannedSamples(config) -> N | null                   data.samples, or null for a CSV (known once it is read)
 *   flopsPerStep(dims, route), autoRoute(dims)           the flop counts (bench/flops.ts prints them) and the
 *                                                        route `auto` picks (the kernels' cost model,
 *                                                        native/kernels/tangent.cc; test 62 holds the twins to it)
 *
 * Widths n_0 = inputs, n_1 .. n_L (hidden), n_{L+1} = o = outputs; H = n_1 + ... + n_L, n_max the widest of n_1 ..
 * n_{L+1}; D = parameterCount(network) (layers.ts; never re-derived here), S = D times the rule's state blocks (the
 * training state), k tangent vectors (k1 = max(k, 1)), N samples, T = training.steps, W = floor((T - transient) /
 * ftleWindow) windows. The plan counts float64 numbers:
 *
 *   data        2 N (i + o)  (+ N (i + o) with minibatches)   X and Y in JavaScript, the backend's copy (and the
 *                                                            gathered batch)
 *   caches      4 N H + 2 N o + D + n_1 + o + H + 2 n_max    per-sample activations and derivatives, the gradient,
 *                                                            per-sample scratch (native/kernels/network.h,
 *                                                            assembly/network.ts)
 *   workspace   one hidden layer (i-h-o):
 *                 hessian:  D^2 + 2 N o D + h (i+1)^2 + o h (i+1)     H, G and the scaled G, the second-order blocks
 *                 factored: N o D + N o k1 + h (i+1)^2 + o h (i+1)    G, G Q, the blocks
 *               L >= 2 hidden layers (deep_hessian.cc, deep_rop.cc):
 *                 hessian:  D^2 + 3 N c n_max + N d + N (m+1) + (m+1) d   H, the K levels, the sample rows and block
 *                           (c, d, m: the largest n_q + n_{q-1}, n_q (n_{q-1} + 1) and n_{q-1})
 *                 factored: N b (2 H + o + 2 n_max) + N (H + o)           the R-operator's blocks of b columns
 *                           (b = min(k1, 2^21 / (N (2 H + o + 2 n_max)))) and the deltas
 *               hvp: 0 (per-sample scratch only)
 *   tangent     3 S + 2 S k + D k1 (+ D k1 when S > D) + k1 + (c/m + 1) k + c
 *                                                            the initial and current state and Q in JavaScript and
 *                                                            in the backend, H Q (and the w-rows of Q), the QR's tau,
 *                                                            a chunk's losses and log R_jj (c = 1000 steps per chunk)
 *   history     5 (T + 1)                    the loss C(w_t) of every step: a doubling log and three copies
 *   ftle        6 W (k + 1)                  the windows' FTLEs and running estimates, with array growth
 *
 * The sum, in bytes, must not exceed limits.memoryBudget (default 2 GiB; a bound on this run, so an ensemble of n
 * worker threads may use n times as much); a covariant-vector computation is planned on top of it by its own budget
 * (lyapunov.clv.memoryBudget). Beyond memory, every length must fit the kernels (widths <= 2^20, N <= 2^26,
 * S <= 2^24, N H, S k <= 2^31 - 1) and every JavaScript array a typed array (<= 2^32 elements), and a WASM run must
 * fit its 4 GiB linear memory. Each refusal names the config field to change and says how.
 *
 * Time: flopsPerStep counts the floating-point operations of one step by the route the run takes (a multiply-add is
 * 2; activations, comparisons and copies count 0; the formulas of docs/derivations.md):
 *
 *   one hidden layer, i1 = i + 1:
 *     forward + gradient   2 N (2 h i + 3 o h + h + 2 o) + 2 D
 *     S (summed blocks)    N h (i1 (i1 + 1) + 2 o i1)                 hidden blocks (upper part) and W2-W1 blocks
 *     hessian              S + N o D (D + 1) + 2 D^2 k                the Gauss-Newton upper triangle, then H Q
 *     factored             S + 4 N o D k + k (2 h i1^2 + 4 o h i1)    G Q and G^T (C G Q); S Q from the blocks
 *     hvp                  2 N k (2 h i1 + 4 o h + 2 h)               the R-operator per sample and vector
 *   L >= 2 hidden layers, S_all = sum_{l=1}^{L+1} n_l n_{l-1}, S_2 the same sum from l = 2:
 *     forward + gradient   2 N (2 S_all + S_2 + H + 2 o) + 2 D
 *     hessian              sum over the blocks (p <= q) of layers: 2 N (n_{p-1} + 1) n_p D_q (on the diagonal only the
 *                          upper part), the sample rows (N n_p D_q, 3 N n_p D_q off the diagonal), the K and M
 *                          recursion (2 N (n_q + n_{q-1}) n_p n_{p+1}) and K^{(q-1,q-1)} (2 N n_{q-1}^2 n_q),
 *                          D_q = n_q (n_{q-1} + 1); + 2 D^2 k for H Q
 *     factored             N k (4 S_all + 8 S_2)                      the R-operator on all samples by thin products
 *     hvp                  N k (4 S_all + 11 S_2)                     per sample and vector
 *   every rule: the tangent update r D k (r: the rule's tangentFlops in src/backend/tables.ts RULES) and the QR
 *     (4 S k^2 - 4 k^3 / 3) / m: Householder R (2 S k^2 - 2 k^3 / 3) and the explicit thin Q (the same again).
 *
 * With minibatches the route is chosen, as the kernels do, for the size of a batch (training.batchSize), and the
 * flops are those of a step on a batch. The CLI turns steps x flops per step into a time estimate with the rate it
 * measures (src/cli/progress.ts).
 */
import * as z from "zod";
import { formatBytes } from "../algorithms/clv-memory.js";
import { chunkLength } from "../algorithms/spectrum.js";
import { INT_MAX, MAX_SAMPLES, MAX_STATE, MAX_WIDTH } from "../backend/guards.js";
import { layerWidths } from "../backend/layers.js";
import { entryOf, RULES } from "../backend/tables.js";
import { byteSize } from "./clv.js";
import { ConfigError } from "./errors.js";
import type { RunConfig } from "./schema.js";
import { exponentCount, parameterCount, stateDimensionOf } from "./shape.js";

/** Default limits.memoryBudget: 2 GiB. */
export const DEFAULT_RUN_MEMORY_BUDGET = 2 * 1024 ** 3;
/** The most elements a JavaScript typed array holds (V8 on 64-bit hosts). */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;
/** The WASM backend's linear memory: 4 GiB (wasm32), less a margin for the module's own data. */
const WASM_MEMORY_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;
/** The WASM adapter's scratch buffers (src/backend/wasm-network.ts: blocks of 2^17 doubles). */
const WASM_SCRATCH_BYTES = 3 * 2 ** 17 * 8;
/** Columns per block of the general factored route: its workspace is about this many doubles (deep_rop.h). */
const DEEP_FACTORED_DOUBLES = 2 ** 21;
/** The kernels' cost model (tangent.cc): the R-operator route of one hidden layer at this fraction of gemm's rate. */
const HVP_SLOWDOWN = 4;
/** L >= 2: the explicit H's blocks, the factored products and the per-sample R-operator, relative to H Q. */
const DEEP_BUILD_SLOWDOWN = 3;
const DEEP_FACTORED_SLOWDOWN = 2;
const DEEP_HVP_SLOWDOWN = 4;
const F64 = 8;

/** The `limits` section of a run config: `{ "memoryBudget": "2GiB" }` (bytes or a size string). */
export const limitsSchema = z.strictObject(
  { memoryBudget: byteSize.default(DEFAULT_RUN_MEMORY_BUDGET) },
  { error: (iss) => (iss.code === "unrecognized_keys" ? "known keys: memoryBudget" : "an object") },
);

export type RouteName = "hessian" | "hvp" | "factored";
const ROUTE_NAMES: RouteName[] = ["hessian", "factored", "hvp"];

/** The sizes a step's cost depends on. */
export interface StepDims {
  inputs: number;
  /** One hidden width, or one per hidden layer. */
  hidden: number | readonly number[];
  outputs: number;
  /** Samples of a step (a minibatch's size with minibatches). */
  samples: number;
  /** D, from parameterCount. */
  dimension: number;
  /** S, the training state's dimension (D when absent). */
  stateDimension?: number;
  /** The update rule's name (gd when absent). */
  rule?: string;
  /** Tangent vectors k. */
  k: number;
  qrEvery: number;
}

export interface FlopCounts {
  forwardGradient: number;
  tangent: number;
  qr: number;
  total: number;
}

/** S_all, S_2 and H of widths n (module comment). */
function layerSums(n: readonly number[]) {
  let sAll = 0;
  let s2 = 0;
  let hid = 0;
  const L1 = n.length - 1;
  for (let l = 1; l <= L1; l++) {
    sAll += n[l] * n[l - 1];
    if (l >= 2) s2 += n[l] * n[l - 1];
    if (l < L1) hid += n[l];
  }
  return { sAll, s2, hid };
}

/** The explicit Hessian's build flops for L >= 2 (module comment; tangent.cc deep_costs). */
function deepExplicitBuild(n: readonly number[], N: number): number {
  let E = 0;
  for (let q = n.length - 1; q >= 1; q--) {
    const Dq = n[q] * (n[q - 1] + 1);
    E += 2 * N * (n[q - 1] + 1) * (n[q] * Dq - (n[q - 1] * n[q] * (n[q] - 1)) / 2) + N * n[q] * Dq;
    for (let p = q - 1; p >= 1; p--)
      E += 2 * N * (n[q] + n[q - 1]) * n[p] * n[p + 1] + 2 * N * (n[p - 1] + 1) * n[p] * Dq + 3 * N * n[p] * Dq;
    if (q >= 2) E += 2 * N * n[q - 1] * n[q - 1] * n[q];
  }
  return E;
}

/** The flops of each route's tangent products without the rule's update (module comment). */
function routeFlops(d: StepDims): Record<RouteName, number> & { shared: number } {
  const n = layerWidths(d);
  const { samples: N, dimension: D, k } = d;
  if (n.length > 3) {
    const { sAll, s2 } = layerSums(n);
    return {
      shared: 0,
      hessian: deepExplicitBuild(n, N) + 2 * D * D * k,
      factored: N * k * (4 * sAll + 8 * s2),
      hvp: N * k * (4 * sAll + 11 * s2),
    };
  }
  const [i, h, o] = n;
  const i1 = i + 1;
  const shared = N * h * (i1 * (i1 + 1) + 2 * o * i1);
  return {
    shared,
    hessian: shared + N * o * D * (D + 1) + 2 * D * D * k,
    factored: shared + 4 * N * o * D * k + k * (2 * h * i1 * i1 + 4 * o * h * i1),
    hvp: 2 * N * k * (2 * h * i1 + 4 * o * h + 2 * h),
  };
}

/** Flops per parameter and tangent vector of a rule's tangent update (tables.ts RULES, tangentFlops). */
function ruleTangentFlops(rule: string): number {
  const spec = entryOf(RULES, rule);
  if (spec === undefined) throw new Error(`flopsPerStep: unknown update rule ${JSON.stringify(rule)}`);
  return spec.tangentFlops;
}

/** Flops of one step by `route` (module comment); with k = 0, forward and gradient only. */
export function flopsPerStep(d: StepDims, route: RouteName | "none"): FlopCounts {
  const n = layerWidths(d);
  const { samples: N, dimension: D, k } = d;
  const S = d.stateDimension ?? D;
  let forwardGradient: number;
  if (n.length > 3) {
    const { sAll, s2, hid } = layerSums(n);
    forwardGradient = 2 * N * (2 * sAll + s2 + hid + 2 * n[n.length - 1]) + 2 * D;
  } else {
    const [i, h, o] = n;
    forwardGradient = 2 * N * (2 * h * i + 3 * o * h + h + 2 * o) + 2 * D;
  }
  let tangent = 0;
  if (k > 0 && route !== "none") tangent = routeFlops(d)[route] + ruleTangentFlops(d.rule ?? "gd") * D * k;
  const qr = k > 0 ? (4 * S * k * k - (4 * k * k * k) / 3) / d.qrEvery : 0;
  return { forwardGradient, tangent, qr, total: forwardGradient + tangent + qr };
}

/**
 * The route `auto` takes for k vectors: the smallest modelled time, the kernels' tangent_choose_route (tangent.cc,
 * tangent.ts). One hidden layer: each route's flops without the blocks S that the explicit and factored routes share,
 * the R-operator's weighted by HVP_SLOWDOWN. L >= 2: the explicit H's build, the factored and the R-operator products
 * weighted by their measured rates relative to H Q. Ties go to hessian, then factored.
 */
export function autoRoute(d: StepDims): RouteName {
  const f = routeFlops(d);
  let explicit: number;
  let factored: number;
  let hvp: number;
  if (layerWidths(d).length > 3) {
    const product = 2 * d.dimension * d.dimension * d.k;
    explicit = DEEP_BUILD_SLOWDOWN * (f.hessian - product) + product;
    factored = DEEP_FACTORED_SLOWDOWN * f.factored;
    hvp = DEEP_HVP_SLOWDOWN * f.hvp;
  } else {
    explicit = f.hessian - f.shared;
    factored = f.factored - f.shared;
    hvp = HVP_SLOWDOWN * f.hvp;
  }
  if (explicit <= factored && explicit <= hvp) return "hessian";
  return factored <= hvp ? "factored" : "hvp";
}

/** Bytes of each part of a run (module comment). */
export interface RunPlanBytes {
  data: number;
  caches: number;
  workspace: number;
  tangent: number;
  history: number;
  ftle: number;
}

export interface RunPlan {
  dims: StepDims;
  /** All training samples (dims.samples is a minibatch's size with minibatches). */
  samples: number;
  route: RouteName | "none";
  steps: number;
  windows: number;
  bytes: RunPlanBytes;
  /** The sum of `bytes`. */
  totalBytes: number;
  /** The network's arrays in the backend (for WASM: in its linear memory, with the state and Q), in bytes. */
  backendBytes: number;
  budget: number;
  flopsPerStep: FlopCounts;
  /** steps x flopsPerStep.total. */
  totalFlops: number;
  /** Set by planRun when the backend is known. */
  backend?: "native" | "wasm";
}

/** data.samples, or null when the data come from a CSV file (their number is known once it is read). */
export function plannedSamples(config: Pick<RunConfig, "data">): number | null {
  return "samples" in config.data ? config.data.samples : null;
}

/** n_max and H of widths n: the widest layer after the input, and the sum of the hidden widths. */
function widest(n: readonly number[]) {
  return { nMax: Math.max(...n.slice(1)), hid: layerSums(n).hid };
}

/** The route's workspace in doubles, sized (as the kernels size it) for all `samples`. */
function workspaceDoubles(d: StepDims, route: RouteName | "none", samples: number): number {
  const n = layerWidths(d);
  const { dimension: D, k } = d;
  const N = samples;
  const o = n[n.length - 1];
  if (route === "none" || route === "hvp") return 0;
  if (n.length > 3) {
    const { nMax, hid } = widest(n);
    if (route === "hessian") {
      let c = 0;
      let dq = 0;
      let m = 0;
      for (let q = 1; q < n.length; q++) {
        c = Math.max(c, n[q] + n[q - 1]);
        dq = Math.max(dq, n[q] * (n[q - 1] + 1));
        m = Math.max(m, n[q - 1]);
      }
      return D * D + 3 * N * c * nMax + N * dq + N * (m + 1) + (m + 1) * dq;
    }
    const perVector = N * (2 * hid + o + 2 * nMax);
    const b = Math.max(1, Math.min(Math.floor(DEEP_FACTORED_DOUBLES / perVector), Math.max(k, 1)));
    return N * b * (2 * hid + o + 2 * nMax) + N * (hid + o);
  }
  const [i, h] = n;
  const blocks = h * (i + 1) * (i + 1) + o * h * (i + 1);
  if (route === "hessian") return D * D + 2 * N * o * D + blocks;
  return N * o * D + N * o * Math.max(k, 1) + blocks;
}

/**
 * planRun(config, samples, backend) -> RunPlan
 *
 * The plan of a run of `config` on `samples` training points (module comment); `backend` (when known) adds the
 * WASM memory check to checkRunPlan. Allocates nothing.
 */
export function planRun(config: RunConfig, samples: number, backend?: "native" | "wasm"): RunPlan {
  const { inputs, hidden, outputs } = config.network;
  const n = layerWidths(config.network);
  const D = parameterCount(config.network);
  const S = stateDimensionOf(config);
  const k = exponentCount(config);
  const ly = config.lyapunov;
  const batch = config.training.batchSize;
  const stepSamples = batch === null ? samples : Math.min(batch, samples);
  const dims: StepDims = {
    inputs,
    hidden,
    outputs,
    samples: stepSamples,
    dimension: D,
    stateDimension: S,
    rule: config.training.optimizer.name,
    k,
    qrEvery: ly.qrEvery,
  };
  const requested = ly.tangentRoute;
  const route = k === 0 ? "none" : requested === "auto" ? autoRoute(dims) : requested;
  const N = samples;
  const steps = config.training.steps;
  const windows = Math.max(0, Math.floor((steps - ly.transient) / ly.ftleWindow));
  const k1 = Math.max(k, 1);
  const minibatches = batch !== null || config.training.schedule !== null;
  const { nMax, hid } = widest(n);
  const wRows = S > D ? D * k1 : 0;
  // The chunk lyapunovSpectrum hands the kernels: its losses and log R_jj rows (a multiple of qrEvery, near 1000).
  const chunk = chunkLength(ly.qrEvery);
  const doubles: RunPlanBytes = {
    data: (minibatches ? 3 : 2) * N * (inputs + outputs),
    caches: 4 * N * hid + 2 * N * outputs + D + n[1] + outputs + hid + 2 * nMax,
    workspace: workspaceDoubles(dims, route, N),
    tangent: 3 * S + 2 * S * k + D * k1 + wRows + k1 + (chunk / ly.qrEvery + 1) * k + chunk,
    history: 5 * (steps + 1),
    ftle: 6 * windows * (k + 1),
  };
  const bytes = { ...doubles };
  for (const key of Object.keys(bytes) as (keyof RunPlanBytes)[]) bytes[key] *= F64;
  const totalBytes = Object.values(bytes).reduce((a, b) => a + b, 0);
  // The network's arrays in the backend: data, caches, workspace, H Q (and the w-rows), tau, the state and Q.
  const backendBytes =
    (N * (inputs + outputs) * (minibatches ? 2 : 1) +
      doubles.caches +
      doubles.workspace +
      D * k1 +
      wRows +
      k1 +
      S +
      S * k) *
    F64;
  const flops = flopsPerStep(dims, route);
  return {
    dims,
    samples: N,
    route,
    steps,
    windows,
    bytes,
    totalBytes,
    backendBytes,
    budget: config.limits.memoryBudget,
    flopsPerStep: flops,
    totalFlops: steps * flops.total,
    ...(backend ? { backend } : {}),
  };
}

/** A run does not fit: a size beyond what the kernels or a typed array hold, or the memory budget. */
export class RunPlanError extends ConfigError {
  constructor(
    field: string,
    detail: string,
    readonly plan: RunPlan,
  ) {
    super(field, detail);
    this.name = "RunPlanError";
  }
}

/** [field, limit, value, what] of a size beyond what the kernels or a typed array take. */
type LengthLimit = [string, number, number, string];

/** The kernels' limits (native/bind_network.cc, its WASM twin): past them the plan itself means nothing. */
function kernelLimits(plan: RunPlan, config: RunConfig): LengthLimit[] {
  const n = layerWidths(plan.dims);
  const { dimension: D, k } = plan.dims;
  const S = plan.dims.stateDimension ?? D;
  const N = plan.samples;
  const samplesField = "samples" in config.data ? "data.samples" : "data.csv";
  const { hid } = widest(n);
  return [
    ["network.inputs", MAX_WIDTH, n[0], "the widest layer the kernels take"],
    ["network.hidden", MAX_WIDTH, Math.max(...n.slice(1, -1)), "the widest layer the kernels take"],
    ["network.outputs", MAX_WIDTH, n[n.length - 1], "the widest layer the kernels take"],
    [samplesField, MAX_SAMPLES, N, "the most samples the kernels take"],
    ["network.hidden", MAX_STATE, S, "the most numbers of the training state S the kernels take"],
    [samplesField, INT_MAX, N * hid, "samples x hidden units, the length of a per-sample cache"],
    ["lyapunov.exponents", INT_MAX, S * k, "S x k, the length of the tangent block"],
  ];
}

/** JavaScript's limits, reachable only with a memory budget far above the default. */
function arrayLimits(plan: RunPlan): LengthLimit[] {
  return [
    [
      "training.steps",
      MAX_TYPED_ARRAY_LENGTH / 2,
      plan.steps + 1,
      "half the longest typed array, for the loss history",
    ],
    [
      "lyapunov.ftleWindow",
      MAX_TYPED_ARRAY_LENGTH,
      plan.windows * plan.dims.k,
      "the longest typed array, for the FTLEs",
    ],
  ];
}

function checkLengths(plan: RunPlan, limits: LengthLimit[]): void {
  for (const [field, limit, value, what] of limits) {
    if (value > limit) throw new RunPlanError(field, `expected at most ${limit} (${what}) but received ${value}`, plan);
  }
}

/**
 * The field to change when the budget is exceeded, and how: another tangent route when one makes the run fit,
 * else the field that sizes the largest part of the plan.
 */
function budgetAdvice(plan: RunPlan, config: RunConfig): { field: string; advice: string } {
  const samples =
    "csv" in config.data
      ? { field: "data.csv", advice: "fewer rows in the data file" }
      : { field: "data.samples", advice: "fewer samples (data.samples)" };
  const N = plan.samples;
  const workspace = plan.bytes.workspace;
  for (const other of ROUTE_NAMES) {
    const otherBytes = workspaceDoubles(plan.dims, other, N) * F64;
    if (other !== plan.route && plan.totalBytes - workspace + otherBytes <= plan.budget) {
      return {
        field: "lyapunov.tangentRoute",
        advice: `the "${other}" route (lyapunov.tangentRoute; its workspace is ${formatBytes(otherBytes)})`,
      };
    }
  }
  const largest = Object.entries(plan.bytes).sort((a, b) => b[1] - a[1])[0][0] as keyof RunPlanBytes;
  const D = plan.dims.dimension;
  const o = plan.dims.outputs;
  switch (largest) {
    case "data":
    case "caches":
      return samples;
    case "workspace":
      // G grows with the samples, H with D^2.
      return plan.route === "hessian" && D * D > 2 * N * o * D
        ? { field: "network.hidden", advice: "a smaller network (the explicit Hessian is D x D)" }
        : samples;
    case "tangent":
      return { field: "lyapunov.exponents", advice: "fewer exponents (lyapunov.exponents)" };
    case "history":
      return { field: "training.steps", advice: "fewer steps (training.steps; the loss of every step is kept)" };
    default:
      return { field: "lyapunov.ftleWindow", advice: "longer FTLE windows (lyapunov.ftleWindow)" };
  }
}

/** The plan's parts in words: `caches 3.7 GiB, data 305 MiB, ...` (the largest first, empty ones left out). */
export function describePlanBytes(plan: RunPlan): string {
  return Object.entries(plan.bytes)
    .filter(([, b]) => b > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, b]) => `${name} ${formatBytes(b)}`)
    .join(", ");
}

/**
 * checkRunPlan(plan, config) -> plan, or throws RunPlanError
 *
 * Refuses (module comment), in this order: a length beyond the kernels (`network.hidden: expected at most 1048576
 * (the widest layer the kernels take) but received 2147483648`), a plan above limits.memoryBudget (naming another
 * route when one fits, else the field of the plan's largest part, and what to change), a WASM run beyond its
 * linear memory, and a length beyond a typed array.
 */
export function checkRunPlan(plan: RunPlan, config: RunConfig): RunPlan {
  checkLengths(plan, kernelLimits(plan, config));
  if (plan.totalBytes > plan.budget) {
    const { field, advice } = budgetAdvice(plan, config);
    const route = plan.route === "none" ? "" : `, ${plan.route} route`;
    const S = plan.dims.stateDimension ?? plan.dims.dimension;
    const state = S === plan.dims.dimension ? "" : `, S = ${S}`;
    throw new RunPlanError(
      field,
      `this run needs ${formatBytes(plan.totalBytes)} (${describePlanBytes(plan)}; D = ${plan.dims.dimension}${state}, ` +
        `k = ${plan.dims.k}, ${plan.samples} samples, ${plan.steps} steps${route}), above ` +
        `limits.memoryBudget = ${formatBytes(plan.budget)}: use ${advice}, or raise limits.memoryBudget`,
      plan,
    );
  }
  if (plan.backend === "wasm" && plan.backendBytes + WASM_SCRATCH_BYTES > WASM_MEMORY_BYTES) {
    throw new RunPlanError(
      "backend",
      `this run needs ${formatBytes(plan.backendBytes)} inside the WASM backend, whose memory holds at most 4 GiB: ` +
        "use the native backend (--backend native) or a smaller run",
      plan,
    );
  }
  checkLengths(plan, arrayLimits(plan));
  return plan;
}
