/**
 * Argument guards for the backends that validate in TypeScript (the WASM backend): the twins of native/args.cc, with
 * the same checks and the same message texts, so a bad argument gives the same TypeError/RangeError whichever backend
 * runs. Every message starts with `weightdyn: ` and names the argument.
 *
 * Numbers in messages are formatted as C++'s std::to_string(double) does ("%f": six decimals, exact decimal value
 * rounded half to even, "nan"/"-nan", "inf"/"-inf"), integers and lengths as plain integers.
 */

import { parameterCount } from "./layers.js";
import { ACTIVATIONS, inRange, RULES } from "./tables.js";

/** Largest int32, C++'s INT_MAX. */
export const INT_MAX = 2147483647;

export function throwType(msg: string): never {
  throw new TypeError(`weightdyn: ${msg}`);
}

export function throwRange(msg: string): never {
  throw new RangeError(`weightdyn: ${msg}`);
}

const bits = new Float64Array(1);
const bitsU32 = new Uint32Array(bits.buffer);

/** The sign bit of a double (also of NaN, as printf shows it). Assumes a little-endian host. */
function signBit(v: number): boolean {
  bits[0] = v;
  return bitsU32[1] >>> 31 === 1;
}

/** C++'s std::to_string(double v), i.e. printf("%f", v) with glibc. */
export function cppDoubleToString(v: number, negative: boolean = signBit(v)): string {
  if (Number.isNaN(v)) return negative ? "-nan" : "nan";
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  // |v| = mant 2^e2 exactly; round |v| 10^6 to an integer, ties to even (glibc prints the exact binary value).
  bits[0] = Math.abs(v);
  const hi = bitsU32[1];
  const lo = bitsU32[0];
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (expBits === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = expBits - 1075;
  }
  let q: bigint;
  if (e2 >= 0) q = (mant << BigInt(e2)) * 1000000n;
  else {
    const num = mant * 1000000n;
    const sh = BigInt(-e2);
    q = num >> sh;
    const rem = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const digits = q.toString().padStart(7, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** The sign bit of element p of a Float64Array read from its bytes (a NaN read into a JS number may lose it). */
function elementSignBit(arr: Float64Array, p: number): boolean {
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset + p * 8 + 7, 1);
  return (bytes[0] & 0x80) !== 0;
}

const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)
  ?.get as (this: unknown) => string | undefined;

/** True for a real Float64Array (also one from another realm), false for look-alikes. */
export function isFloat64Array(v: unknown): v is Float64Array {
  return ArrayBuffer.isView(v) && typedArrayTag.call(v) === "Float64Array";
}

/** native ArgInt: an integer in [lo, hi]. */
export function argInt(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== "number") throwType(`expected an integer for ${name}`);
  if (!Number.isFinite(v) || Math.floor(v) !== v || v < lo || v > hi) {
    throwRange(`expected an integer in [${lo}, ${hi}] for ${name} but received ${cppDoubleToString(v)}`);
  }
  return v;
}

/** native ArgFinite: a finite number; with positive, also > 0. */
export function argFinite(v: unknown, name: string, positive: boolean): number {
  if (typeof v !== "number") throwType(`expected a number for ${name}`);
  if (!Number.isFinite(v) || (positive && !(v > 0))) {
    throwRange(
      `expected a ${positive ? "positive " : ""}finite number for ${name} but received ${cppDoubleToString(v)}`,
    );
  }
  return v;
}

/** Index of the first non-finite element among the first n of arr, or -1. */
export function firstNonFinite(arr: Float64Array, n: number): number {
  for (let p = 0; p < n; ++p) {
    const x = arr[p];
    // x - x is 0 for finite x and NaN for NaN and the infinities.
    if (x - x !== 0) return p;
  }
  return -1;
}

/** The message of native for a non-finite element p of the array called name. */
export function throwNonFinite(arr: Float64Array, name: string, p: number): never {
  throwRange(
    `expected finite values in ${name} but element ${p} is ${cppDoubleToString(arr[p], elementSignBit(arr, p))}`,
  );
}

/**
 * native ArgF64: a Float64Array with at least minLength elements (exactly, when exact); with finite, all of its
 * first minLength elements finite. With allowNull, null/undefined give null.
 */
export function argF64(
  v: unknown,
  name: string,
  minLength: number,
  exact: boolean,
  finite: boolean,
  allowNull: true,
): Float64Array | null;
export function argF64(v: unknown, name: string, minLength: number, exact: boolean, finite: boolean): Float64Array;
export function argF64(
  v: unknown,
  name: string,
  minLength: number,
  exact: boolean,
  finite: boolean,
  allowNull = false,
): Float64Array | null {
  if (allowNull && (v === null || v === undefined)) return null;
  if (!isFloat64Array(v)) throwType(`expected a Float64Array for ${name}`);
  const len = v.length;
  if (exact ? len !== minLength : len < minLength) {
    throwRange(`expected ${name} to have ${exact ? "" : "at least "}${minLength} elements but it has ${len}`);
  }
  if (finite) {
    const p = firstNonFinite(v, minLength);
    if (p >= 0) throwNonFinite(v, name, p);
  }
  return v;
}

/** True when arr's buffer has been detached (transferred); Node 20 has no ArrayBuffer.prototype.detached. */
function isDetached(arr: Float64Array): boolean {
  const buffer = arr.buffer as ArrayBuffer & { detached?: boolean; resizable?: boolean };
  return buffer.detached ?? (buffer.byteLength === 0 && buffer.resizable !== true);
}

/**
 * native HeldArray (bind_network.cc): an array a network keeps between calls (its state, its tangent block Q)
 * must still be attached and have its n elements, since the caller may have transferred its buffer meanwhile.
 */
export function heldF64(arr: Float64Array, name: string, n: number): Float64Array {
  if (n > 0 && isDetached(arr)) {
    throwRange(
      `expected ${name} to have ${n} elements but its buffer was detached (transferred); create a new network`,
    );
  }
  if (arr.length !== n)
    throwRange(`expected ${name} to have ${n} elements but it has ${arr.length} (its buffer was resized)`);
  return arr;
}

// Limits of native/bind_network.cc and the tables (native/kernels/tables.h).
export const MAX_WIDTH = 1 << 20;
export const MAX_SAMPLES = 1 << 26;
export const MAX_STATE = 1 << 24;
/** Most hidden layers a network may have. */
export const MAX_HIDDEN_LAYERS = 64;
/** Most threads a network may ask for (NetworkSpec.threads). */
export const MAX_THREADS = 1024;
export const ACT_COUNT = ACTIVATIONS.length;
export const ACT_OUTPUT_COUNT = ACTIVATIONS.filter((a) => a.output).length;

/** The length of an array-like, NaN otherwise. */
function lengthOf(v: unknown): number {
  const len = v !== null && typeof v === "object" ? (v as { length?: unknown }).length : undefined;
  return typeof len === "number" ? len : Number.NaN;
}

/** A number or a list of them, as a list (TypeError naming the field otherwise). */
function listOf(v: unknown, name: string): unknown[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v;
  return throwType(`expected a number or an array of numbers for ${name}`);
}

/** native ArgRule: a rule id, eta > 0 and exactly the rule's parameters, each in its range. */
export function checkRule(rule: unknown): { id: number; eta: number; params: number[] } {
  if (rule === null || typeof rule !== "object") throwType("expected an object for rule");
  const r = rule as Record<string, unknown>;
  const id = argInt(r.rule, "rule", 0, RULES.length - 1);
  const eta = argFinite(r.learningRate, "eta", true);
  const spec = RULES[id];
  const params = Array.isArray(r.params) ? (r.params as unknown[]) : null;
  if (params === null) throwType("expected a Float64Array for ruleParams");
  if (params.length !== spec.params.length) {
    throwRange(`expected ruleParams to have ${spec.params.length} elements but it has ${params.length}`);
  }
  params.forEach((x, j) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throwRange(`expected finite values in ruleParams but element ${j} is ${cppDoubleToString(Number(x))}`);
    }
    const p = spec.params[j];
    if (!inRange(p, x)) {
      const range = `${p.minOpen ? "(" : "["}${cppDoubleToString(p.min)}, ${cppDoubleToString(p.max)}${p.maxOpen ? ")" : "]"}`;
      throwRange(`expected ${p.name} in ${range} but received ${cppDoubleToString(x)}`);
    }
  });
  return { id, eta, params: params as number[] };
}

export interface CheckedNetworkArgs {
  /** [inputs, h1, ..., hL, outputs]. */
  layers: number[];
  /** Hidden activation ids, one per hidden layer, then the output activation id. */
  acts: number[];
  /** One parameter per hidden layer. */
  params: number[];
  /** Samples: what X holds. */
  N: number;
  D: number;
  /** State dimension. */
  S: number;
  maxK: number;
  X: Float64Array;
  Y: Float64Array;
  /** Threads of the dense kernels (1 when not given). */
  threads: number;
  rule: { id: number; eta: number; params: number[] };
}

/**
 * The checks of the native Network constructor (bind_network.cc), run by both adapters before anything is allocated,
 * so that a bad shape, rule or maxK is a `weightdyn:` error naming the field on every backend.
 */
export function checkNetworkArgs(spec: unknown): CheckedNetworkArgs {
  if (spec === null || typeof spec !== "object") throwType("expected an object for spec");
  const sp = spec as Record<string, unknown>;
  const shape = sp.shape;
  if (shape === null || typeof shape !== "object") throwType("expected an object for shape");
  const s = shape as Record<string, unknown>;
  const inputs = argInt(s.inputs, "inputs", 1, MAX_WIDTH);
  const hidden = listOf(s.hidden, "hidden").map((h) => argInt(h, "hidden", 1, MAX_WIDTH));
  const outputs = argInt(s.outputs, "outputs", 1, MAX_WIDTH);
  const L = hidden.length;
  if (L < 1 || L > MAX_HIDDEN_LAYERS) {
    throwRange(`expected 1 to ${MAX_HIDDEN_LAYERS} hidden layers but received ${L}`);
  }
  const perLayer = (v: unknown, name: string) => {
    const list = listOf(v, name);
    if (list.length === 1 && L > 1) return new Array(L).fill(list[0]);
    if (list.length !== L) throwRange(`expected ${name} to have 1 or ${L} elements but it has ${list.length}`);
    return list;
  };
  const acts = perLayer(s.activation, "activation").map((a) => argInt(a, "activation", 0, ACT_COUNT - 1));
  const params = perLayer(s.activationParam, "activationParam").map((p) => argFinite(p, "activationParam", false));
  const outAct = argInt(s.outputActivation, "outputActivation", 0, ACT_OUTPUT_COUNT - 1);
  const rule = checkRule(sp.rule);
  const layers = [inputs, ...hidden, outputs];
  const D = parameterCount({ inputs, hidden, outputs });
  const S = D * RULES[rule.id].stateBlocks;
  if (S > MAX_STATE) throwRange(`the training state has too many numbers (${S})`);
  const K = argInt(sp.maxK, "maxK", 0, S);
  const N = Math.floor(lengthOf(sp.X) / inputs);
  if (!(N >= 1 && N <= MAX_SAMPLES)) {
    if (!isFloat64Array(sp.X)) throwType("expected a Float64Array for X");
    throwRange(`expected between 1 and ${MAX_SAMPLES} samples in X but it holds ${Number.isFinite(N) ? N : 0}`);
  }
  const xIn = argF64(sp.X, "X", N * inputs, true, true);
  const yIn = argF64(sp.Y, "Y", N * outputs, true, true);
  const threads = sp.threads === undefined ? 1 : argInt(sp.threads, "threads", 1, MAX_THREADS);
  return { layers, acts: [...acts, outAct], params, N, D, S, maxK: K, X: xIn, Y: yIn, rule, threads };
}

/**
 * The checks of the native Ensemble constructor (bind_ensemble.cc): a network spec of one hidden layer and 1 .. lanes
 * runs, run by both adapters before anything is allocated.
 */
export function checkEnsembleArgs(spec: unknown, lanes: number): CheckedNetworkArgs & { runs: number } {
  const a = checkNetworkArgs(spec);
  if (a.layers.length !== 3) {
    throwRange(
      `expected 1 hidden layer in an ensemble (the lockstep kernels are three-layer) but received ${a.layers.length - 2}`,
    );
  }
  const runs = argInt((spec as { runs?: unknown }).runs, "runs", 1, lanes);
  return { ...a, runs };
}

/** native ArgI32: an Int32Array of `length` elements (any when length < 0), each in [lo, hi]. */
export function argI32(
  v: unknown,
  name: string,
  length: number,
  lo: number,
  hi: number,
  allowNull: true,
): Int32Array | null;
export function argI32(v: unknown, name: string, length: number, lo: number, hi: number): Int32Array;
export function argI32(
  v: unknown,
  name: string,
  length: number,
  lo: number,
  hi: number,
  allowNull = false,
): Int32Array | null {
  if (allowNull && (v === null || v === undefined)) return null;
  if (!(ArrayBuffer.isView(v) && typedArrayTag.call(v) === "Int32Array"))
    throwType(`expected an Int32Array for ${name}`);
  const a = v as Int32Array;
  if (length >= 0 && a.length !== length)
    throwRange(`expected ${name} to have ${length} elements but it has ${a.length}`);
  for (let p = 0; p < a.length; p++) {
    if (a[p] < lo || a[p] > hi)
      throwRange(`expected integers in [${lo}, ${hi}] in ${name} but element ${p} is ${a[p]}`);
  }
  return a;
}

/** native ArgBatches (bind_network.cc): minibatch indices and offsets of a chunk of nSteps steps, or both null. */
export function checkBatches(
  batches: unknown,
  N: number,
  nSteps: number,
): { indices: Int32Array; offsets: Int32Array } | null {
  if (batches === null || batches === undefined) return null;
  const b = batches as { indices?: unknown; offsets?: unknown };
  const indices = argI32(b.indices, "batchIndices", -1, 0, N - 1, true);
  const offsets = argI32(b.offsets, "batchOffsets", nSteps + 1, 0, INT_MAX, true);
  if ((indices === null) !== (offsets === null))
    throwRange("batchIndices and batchOffsets must both be given or both be null");
  if (indices === null || offsets === null) return null;
  if (offsets[0] !== 0 || offsets[nSteps] !== indices.length) {
    throwRange(`expected batchOffsets to run from 0 to the length of batchIndices (${indices.length})`);
  }
  for (let t = 0; t < nSteps; t++) {
    const n = offsets[t + 1] - offsets[t];
    if (n < 1 || n > N) throwRange(`expected every batch to hold 1 to ${N} samples but batch ${t} holds ${n}`);
  }
  return { indices, offsets };
}

/** The scalar arguments of a trainChunk call, checked. */
export interface CheckedChunk {
  k: number;
  nSteps: number;
  qrEvery: number;
  route: number;
  t0: number;
}

/**
 * The scalar checks of native's trainChunk bindings (bind_network.cc, bind_ensemble.cc), in their order: k in
 * [0, maxK], nSteps and qrEvery >= 1, a route id in [routeLo, routeHi], t0 an integer in [0, 2^53], and nSteps a
 * multiple of qrEvery when k > 0.
 */
export function checkChunk(
  req: { k: unknown; nSteps: unknown; qrEvery: unknown; route: unknown; t0: unknown },
  maxK: number,
  routeLo: number,
  routeHi: number,
): CheckedChunk {
  const k = argInt(req.k, "k", 0, maxK);
  const nSteps = argInt(req.nSteps, "nSteps", 1, INT_MAX);
  const qrEvery = argInt(req.qrEvery, "qrEvery", 1, INT_MAX);
  const route = argInt(req.route, "route", routeLo, routeHi);
  const t0 = argFinite(req.t0, "t0", false);
  if (t0 < 0 || Math.floor(t0) !== t0 || t0 > 2 ** 53) {
    throwRange(`expected an integer in [0, 2^53] for t0 but received ${cppDoubleToString(t0)}`);
  }
  if (k > 0 && nSteps % qrEvery !== 0) throwRange(`nSteps (${nSteps}) must be a multiple of qrEvery (${qrEvery})`);
  return { k, nSteps, qrEvery, route, t0 };
}

/** True when two typed arrays share memory (views of one buffer whose byte ranges overlap). */
export function overlaps(a: ArrayBufferView | null, b: ArrayBufferView | null): boolean {
  if (!a || !b || a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** native ArgDisjoint: a RangeError naming both arrays when they share memory (pass a subarray to check a prefix). */
export function argDisjoint(nameA: string, a: ArrayBufferView | null, nameB: string, b: ArrayBufferView | null): void {
  if (overlaps(a, b)) throwRange(`${nameA} and ${nameB} must not overlap (they share memory)`);
}

/** argDisjoint on every pair of named views, in order (the first overlapping pair is the one named). */
export function argAllDisjoint(named: readonly (readonly [string, ArrayBufferView | null])[]): void {
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) argDisjoint(named[i][0], named[i][1], named[j][0], named[j][1]);
  }
}
