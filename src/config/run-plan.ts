/**
 * The memory and time plan of a run, made before anything large is allocated (the twin, for a whole run, of the CLV
 * plan in src/algorithms/clv-memory.ts), and the `limits` section of a run config.
 *
 *   planRun(config, samples, backend?) -> RunPlan        sizes, the route, flops per step; allocates nothing
 *   checkRunPlan(plan) -> plan                           or RunPlanError (a ConfigError naming the field to change)
 *   plannedSamples(config) -> N | null                   data.samples, or null for a CSV (known once it is read)
 *   flopsPerStep(dims, route), autoRoute(dims)           the flop counts (bench/flops.ts prints them) and the
 *                                                        route `auto` picks (the kernels' cost model; test 62 holds
 *                                                        the twins together)
 *
 * With i-h-o the widths, D = parameterCount(network) (shape.ts; never re-derived here), k tangent vectors, N samples,
 * T = training.steps and W = floor((T - transient) / ftleWindow) windows, the plan counts in float64 numbers:
 *
 *   data        2 N (i + o)                  X and Y in JavaScript, and the backend's own copy
 *   caches      4 N h + 2 N o + D + h + o    per-sample activations and derivatives, the gradient, per-sample
 *                                            scratch (native/kernels/network.h, assembly/network.ts)
 *   workspace   hessian:  D^2 + 2 N o D + h (i+1)^2 + o h (i+1)     H, G and the scaled G, the second-order blocks
 *               factored: N o D + N o k1 + h (i+1)^2 + o h (i+1)    G, G Q, the blocks (k1 = max(k, 1))
 *               hvp:      0                                         (per-sample scratch only)
 *   tangent     3 D + 2 D k + D k1 + k1 + (c/m + 1) k + c           w0, w and Q in JavaScript and in the backend,
 *                                                                   H Q, the QR's tau, a chunk's losses and
 *                                                                   log R_jj (c = 1000 steps per chunk)
 *   history     5 (T + 1)                    the loss C(w_t) of every step: a doubling log and three copies
 *   ftle        6 W (k + 1)                  the windows' FTLEs and running estimates, with array growth
 *
 * The sum, in bytes, must not exceed limits.memoryBudget (default 2 GiB; a bound on this run, so an ensemble of n
 * worker threads may use n times as much); a covariant-vector computation is planned on top of it by its own budget
 * (lyapunov.clv.memoryBudget). Beyond memory, every length must fit the kernels (widths <= 2^20, N <= 2^26,
 * D <= 2^24, N h, D k <= 2^31 - 1) and every JavaScript array a typed array (<= 2^32 elements), and a WASM run must
 * fit its 4 GiB linear memory. Each refusal names the config field to change and says how.
 *
 * Time: flopsPerStep counts the floating-point operations of one step by the route the run takes (a multiply-add
 * is 2): forward and gradient 2 N (2 h i + 3 o h + h + 2 o) + 2 D; the tangent map (hessian: S + N o D (D+1) +
 * 2 D^2 k; factored: S + 4 N o D k + k (2 h (i+1)^2 + 4 o h (i+1)); hvp: 2 N k (2 h (i+1) + 4 o h + 2 h); each
 * + 2 D k, with S = N h ((i+1)(i+2) + 2 o (i+1)) the summed second-order blocks); QR (4 D k^2 - 4 k^3 / 3) / m.
 * The CLI turns steps x flops per step into a time estimate with the rate it measures (src/cli/progress.ts).
 */
import { z } from "zod";
import { formatBytes } from "../algorithms/clv-memory.js";
import { INT_MAX, MAX_DIMENSION, MAX_SAMPLES, MAX_WIDTH } from "../backend/guards.js";
import { byteSize } from "./clv.js";
import { ConfigError } from "./errors.js";
import type { RunConfig } from "./schema.js";
import { exponentCount, parameterCount } from "./shape.js";

/** Default limits.memoryBudget: 2 GiB. */
export const DEFAULT_RUN_MEMORY_BUDGET = 2 * 1024 ** 3;
/** The most elements a JavaScript typed array holds (V8 on 64-bit hosts). */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;
/** The WASM backend's linear memory: 4 GiB (wasm32), less a margin for the module's own data. */
const WASM_MEMORY_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;
/** The WASM adapter's scratch buffers (src/backend/wasm-network.ts: blocks of 2^17 doubles). */
const WASM_SCRATCH_BYTES = 3 * 2 ** 17 * 8;
/** Steps per chunk of the spectrum loop (src/algorithms/spectrum.ts). */
const CHUNK_STEPS = 1000;
/** Explicit and factored routes run gemm-bound; the R-operator route at this fraction of their rate (tangent.cc). */
const HVP_SLOWDOWN = 4;
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
  hidden: number;
  outputs: number;
  samples: number;
  /** D, from parameterCount. */
  dimension: number;
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

/** Flops of one step by `route` (module comment); with k = 0, forward and gradient only. */
export function flopsPerStep(d: StepDims, route: RouteName | "none"): FlopCounts {
  const { samples: N, inputs: i, hidden: h, outputs: o, dimension: D, k } = d;
  const i1 = i + 1;
  const forwardGradient = 2 * N * (2 * h * i + 3 * o * h + h + 2 * o) + 2 * D;
  const sBlocks = N * h * (i1 * (i1 + 1) + 2 * o * i1);
  let tangent = 0;
  if (k > 0 && route !== "none") {
    if (route === "hessian") tangent = sBlocks + N * o * D * (D + 1) + 2 * D * D * k;
    else if (route === "factored") tangent = sBlocks + 4 * N * o * D * k + k * (2 * h * i1 * i1 + 4 * o * h * i1);
    else tangent = 2 * N * k * (2 * h * i1 + 4 * o * h + 2 * h);
    tangent += 2 * D * k;
  }
  const qr = k > 0 ? (4 * D * k * k - (4 * k * k * k) / 3) / d.qrEvery : 0;
  return { forwardGradient, tangent, qr, total: forwardGradient + tangent + qr };
}

/**
 * The route `auto` takes for k vectors: the smallest modelled time, the kernels' tangent_choose_route (tangent.cc,
 * tangent.ts): each route's tangent flops without the parts they share (the blocks S of hessian and factored, the
 * update 2 D k), the R-operator's weighted by HVP_SLOWDOWN; ties go to hessian, then factored.
 */
export function autoRoute(d: StepDims): RouteName {
  const { samples: N, inputs: i, hidden: h, outputs: o, dimension: D, k } = d;
  const i1 = i + 1;
  const sBlocks = N * h * (i1 * (i1 + 1) + 2 * o * i1);
  const cost = (route: RouteName) =>
    (flopsPerStep(d, route).tangent - 2 * D * k - (route === "hvp" ? 0 : sBlocks)) *
    (route === "hvp" ? HVP_SLOWDOWN : 1);
  const [explicit, factored, hvp] = [cost("hessian"), cost("factored"), cost("hvp")];
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
  route: RouteName | "none";
  steps: number;
  windows: number;
  bytes: RunPlanBytes;
  /** The sum of `bytes`. */
  totalBytes: number;
  /** The network's arrays in the backend (for WASM: in its linear memory, with w and Q), in bytes. */
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

function workspaceDoubles(d: StepDims, route: RouteName | "none"): number {
  const { samples: N, inputs: i, hidden: h, outputs: o, dimension: D, k } = d;
  const blocks = h * (i + 1) * (i + 1) + o * h * (i + 1);
  if (route === "hessian") return D * D + 2 * N * o * D + blocks;
  if (route === "factored") return N * o * D + N * o * Math.max(k, 1) + blocks;
  return 0;
}

/**
 * planRun(config, samples, backend) -> RunPlan
 *
 * The plan of a run of `config` on `samples` training points (module comment); `backend` (when known) adds the
 * WASM memory check to checkRunPlan. Allocates nothing.
 */
export function planRun(config: RunConfig, samples: number, backend?: "native" | "wasm"): RunPlan {
  const { inputs, hidden, outputs } = config.network;
  const D = parameterCount(config.network);
  const k = exponentCount(config);
  const ly = config.lyapunov;
  const dims: StepDims = { inputs, hidden, outputs, samples, dimension: D, k, qrEvery: ly.qrEvery };
  const requested = ly.tangentRoute;
  const route = k === 0 ? "none" : requested === "auto" ? autoRoute(dims) : requested;
  const N = samples;
  const steps = config.training.steps;
  const windows = Math.max(0, Math.floor((steps - ly.transient) / ly.ftleWindow));
  const k1 = Math.max(k, 1);
  const doubles: RunPlanBytes = {
    data: 2 * N * (inputs + outputs),
    caches: 4 * N * hidden + 2 * N * outputs + D + hidden + outputs,
    workspace: workspaceDoubles(dims, route),
    tangent: 3 * D + 2 * D * k + D * k1 + k1 + (Math.ceil(CHUNK_STEPS / ly.qrEvery) + 1) * k + CHUNK_STEPS,
    history: 5 * (steps + 1),
    ftle: 6 * windows * (k + 1),
  };
  const bytes = { ...doubles };
  for (const key of Object.keys(bytes) as (keyof RunPlanBytes)[]) bytes[key] *= F64;
  const totalBytes = Object.values(bytes).reduce((a, b) => a + b, 0);
  // The network's arrays in the backend: data, caches, workspace, H Q, tau, and (WASM) w and Q.
  const backendBytes = (N * (inputs + outputs) + doubles.caches + doubles.workspace + D * k1 + k1 + D + D * k) * F64;
  const flops = flopsPerStep(dims, route);
  return {
    dims,
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
  const { inputs: i, hidden: h, outputs: o, samples: N, dimension: D, k } = plan.dims;
  const samplesField = "samples" in config.data ? "data.samples" : "data.csv";
  return [
    ["network.inputs", MAX_WIDTH, i, "the widest layer the kernels take"],
    ["network.hidden", MAX_WIDTH, h, "the widest layer the kernels take"],
    ["network.outputs", MAX_WIDTH, o, "the widest layer the kernels take"],
    [samplesField, MAX_SAMPLES, N, "the most samples the kernels take"],
    ["network.hidden", MAX_DIMENSION, D, "the most parameters D the kernels take"],
    [samplesField, INT_MAX, N * h, "samples x hidden units, the length of a per-sample cache"],
    ["lyapunov.exponents", INT_MAX, D * k, "D x k, the length of the tangent block"],
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
  const workspace = plan.bytes.workspace;
  for (const other of ROUTE_NAMES) {
    const otherBytes = workspaceDoubles(plan.dims, other) * F64;
    if (other !== plan.route && plan.totalBytes - workspace + otherBytes <= plan.budget) {
      return {
        field: "lyapunov.tangentRoute",
        advice: `the "${other}" route (lyapunov.tangentRoute; its workspace is ${formatBytes(otherBytes)})`,
      };
    }
  }
  const largest = Object.entries(plan.bytes).sort((a, b) => b[1] - a[1])[0][0] as keyof RunPlanBytes;
  const { samples: N, outputs: o, dimension: D } = plan.dims;
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
    throw new RunPlanError(
      field,
      `this run needs ${formatBytes(plan.totalBytes)} (${describePlanBytes(plan)}; D = ${plan.dims.dimension}, ` +
        `k = ${plan.dims.k}, ${plan.dims.samples} samples, ${plan.steps} steps${route}), above ` +
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
