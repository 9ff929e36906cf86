/**
 * Argument guards for the backends that validate in TypeScript (the WASM backend): the twins of native/args.cc, with
 * the same checks and the same message texts, so a bad argument gives the same TypeError/RangeError whichever backend
 * runs. Every message starts with `weightdyn: ` and names the argument.
 *
 * Numbers in messages are formatted as C++'s std::to_string(double) does ("%f": six decimals, exact decimal value
 * rounded half to even, "nan"/"-nan", "inf"/"-inf"), integers and lengths as plain integers.
 */

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

/**
 * native ArgDisjoint: the first na elements of a and the first nb of b share no byte (two views of one buffer at
 * different offsets overlap too); otherwise "<a> and <b> must not overlap". Null or empty arrays never overlap.
 */
export function argDisjoint(
  nameA: string,
  a: Float64Array | null,
  na: number,
  nameB: string,
  b: Float64Array | null,
  nb: number,
): void {
  if (a === null || b === null || na === 0 || nb === 0 || a.buffer !== b.buffer) return;
  if (a.byteOffset < b.byteOffset + 8 * nb && b.byteOffset < a.byteOffset + 8 * na) {
    throwRange(`${nameA} and ${nameB} must not overlap (they share memory)`);
  }
}

/** True when arr's buffer has been detached (transferred); Node 20 has no ArrayBuffer.prototype.detached. */
function isDetached(arr: Float64Array): boolean {
  const buffer = arr.buffer as ArrayBuffer & { detached?: boolean; resizable?: boolean };
  return buffer.detached ?? (buffer.byteLength === 0 && buffer.resizable !== true);
}

/**
 * native HeldArray (bind_network.cc): an array a network keeps between calls (its weights w, its tangent block Q)
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

// Limits of native/bind_network.cc and native/kernels/activations.h.
export const MAX_WIDTH = 1 << 20;
export const MAX_SAMPLES = 1 << 26;
export const MAX_DIMENSION = 1 << 24;
export const ACT_COUNT = 10;
export const OUTPUT_ACT_MAX = 2; // sigmoid

/** The length of an array-like, NaN otherwise. */
function lengthOf(v: unknown): number {
  const len = v !== null && typeof v === "object" ? (v as { length?: unknown }).length : undefined;
  return typeof len === "number" ? len : Number.NaN;
}

export interface CheckedNetworkArgs {
  inputs: number;
  hidden: number;
  outputs: number;
  act: number;
  param: number;
  outAct: number;
  /** Samples: what X holds. */
  N: number;
  D: number;
  maxK: number;
  X: Float64Array;
  Y: Float64Array;
}

/**
 * The checks of the native Network constructor (bind_network.cc), run by both adapters before anything is allocated,
 * so that a bad shape or maxK is a `weightdyn:` error naming the field on every backend.
 */
export function checkNetworkArgs(shape: unknown, X: unknown, Y: unknown, maxK: unknown): CheckedNetworkArgs {
  if (shape === null || typeof shape !== "object") throwType("expected an object for shape");
  const s = shape as Record<string, unknown>;
  const inputs = argInt(s.inputs, "inputs", 1, MAX_WIDTH);
  const hidden = argInt(s.hidden, "hidden", 1, MAX_WIDTH);
  const outputs = argInt(s.outputs, "outputs", 1, MAX_WIDTH);
  const act = argInt(s.activation, "activation", 0, ACT_COUNT - 1);
  const param = argFinite(s.activationParam, "activationParam", false);
  const outAct = argInt(s.outputActivation, "outputActivation", 0, OUTPUT_ACT_MAX);
  const N = argInt(Math.floor(lengthOf(X) / inputs), "samples", 1, MAX_SAMPLES);
  const D = hidden * (inputs + 1) + outputs * (hidden + 1);
  if (D > MAX_DIMENSION) throwRange(`the network has too many parameters (${D})`);
  const K = argInt(maxK, "maxK", 0, D);
  const xIn = argF64(X, "X", N * inputs, true, true);
  const yIn = argF64(Y, "Y", N * outputs, true, true);
  return { inputs, hidden, outputs, act, param, outAct, N, D, maxK: K, X: xIn, Y: yIn };
}
