/**
 * NumPy .npy files (format version 1.0) of float64 arrays in C order: a streaming writer whose slices can be
 * written in any order (the CLVs come out of the backward iteration last time first), and a reader for tests.
 *
 * Layout (numpy.lib.format, "NEP 1"): the magic "\x93NUMPY", the version bytes 1 0, the header length HLEN as a
 * little-endian uint16, then the header, an ASCII Python dict literal
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (T, D, k), }
 * padded with spaces and ended by "\n" so that the data starts at a multiple of 64 bytes, then the data:
 * little-endian float64 in C order (the last index varies fastest).
 *
 *   const w = new NpyWriter(path, [T, D, k]);   // creates a temporary file of the full size
 *   w.writeSlice(i, data);                     // data: D * k numbers, slice i of the first axis, any order
 *   w.finish();                                // fsync and rename onto path (never a half-written file)
 *   readNpy(path) -> { shape, data }
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ALIGN = 64;
const LITTLE = endianness() === "LE";

/** Python's repr of a shape tuple: (), (3,), (2, 3). */
function shapeTuple(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/** The complete header (magic to the final "\n") of a float64 C-order array; its length is a multiple of 64. */
export function npyHeader(shape: readonly number[]): Buffer {
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`npy: expected non-negative integer dimensions but received ${shapeTuple(shape)}`);
  }
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const hlen = total - MAGIC.length - 4;
  if (hlen > 0xffff) throw new RangeError("npy: the header does not fit format version 1.0");
  const header = Buffer.alloc(total, 0x20);
  MAGIC.copy(header, 0);
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(hlen, 8);
  header.write(dict, 10, "latin1");
  header[total - 1] = 0x0a;
  return header;
}

/** The bytes of a float64 array in little-endian order (a view when the platform is little-endian). */
function littleEndianBytes(data: Float64Array): Buffer {
  if (LITTLE) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.byteLength);
  for (let i = 0; i < data.length; i++) out.writeDoubleLE(data[i], i * 8);
  return out;
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/**
 * A float64 C-order .npy file written slice by slice (a slice: one index of the first axis, i.e. the product of the
 * other dimensions). The data go to a temporary file next to `path`, sized in full at once; finish() flushes it
 * and renames it onto `path`, abort() removes it. Slices never written read as zeros.
 */
export class NpyWriter {
  readonly shape: readonly number[];
  /** Numbers per slice of the first axis. */
  readonly sliceLength: number;
  private readonly dataOffset: number;
  private readonly temp: string;
  private fd: number | undefined;

  constructor(
    readonly path: string,
    shape: readonly number[],
  ) {
    if (shape.length < 1) throw new RangeError("npy: NpyWriter needs at least one dimension");
    this.shape = shape.slice();
    const header = npyHeader(shape);
    this.sliceLength = shape.slice(1).reduce((a, b) => a * b, 1);
    this.dataOffset = header.length;
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    this.fd = openSync(this.temp, "wx");
    try {
      writeFully(this.fd, header, 0);
      ftruncateSync(this.fd, this.dataOffset + shape[0] * this.sliceLength * 8);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Writes slice i (data: sliceLength numbers in C order) at its place in the file. */
  writeSlice(i: number, data: Float64Array): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.shape[0])) {
      throw new RangeError(`npy: slice ${i} outside [0, ${this.shape[0]}) of ${this.path}`);
    }
    if (data.length !== this.sliceLength) {
      throw new RangeError(
        `npy: expected ${this.sliceLength} numbers for a slice of ${this.path} but received ${data.length}`,
      );
    }
    this.writeAt(i * this.sliceLength, data);
  }

  /** Writes data at element offset `element` of the flattened array. */
  writeAt(element: number, data: Float64Array): void {
    if (this.fd === undefined) throw new Error(`npy: ${this.path} is already closed`);
    writeFully(this.fd, littleEndianBytes(data), this.dataOffset + element * 8);
  }

  /** Flushes, closes and renames the file onto `path`. */
  finish(): void {
    if (this.fd === undefined) throw new Error(`npy: ${this.path} is already closed`);
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
      closeSync(fd);
      renameSync(this.temp, this.path);
    } catch (err) {
      rmSync(this.temp, { force: true });
      throw err;
    }
  }

  /** Closes and removes the temporary file (idempotent). */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }
}

/** Writes a whole float64 array (C order) as .npy, atomically. */
export function writeNpy(path: string, shape: readonly number[], data: Float64Array): void {
  const total = shape.reduce((a, b) => a * b, 1);
  if (data.length !== total)
    throw new RangeError(`npy: expected ${total} numbers for shape ${shapeTuple(shape)} but received ${data.length}`);
  const w = new NpyWriter(path, shape);
  try {
    if (total > 0) w.writeAt(0, data);
    w.finish();
  } catch (err) {
    w.abort();
    throw err;
  }
}

export interface NpyArray {
  shape: number[];
  /** The values in C order. */
  data: Float64Array;
}

/**
 * readNpy(path) -> { shape, data }
 *
 * Reads a .npy file of format 1.0, 2.0 or 3.0 holding a little-endian float64 ('<f8') array in C order; anything
 * else is an error naming the file.
 */
export function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`npy: ${path}: ${why}`);
  };
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) fail("not a .npy file (bad magic)");
  const major = bytes[6];
  const lenBytes =
    major === 1 ? 2 : major === 2 || major === 3 ? 4 : fail(`unsupported format version ${major}.${bytes[7]}`);
  const hlen = lenBytes === 2 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = 8 + lenBytes;
  const header = bytes.subarray(start, start + hlen).toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== "<f8") fail(`expected dtype '<f8' but the file has ${JSON.stringify(descr)}`);
  if (!/'fortran_order'\s*:\s*False/.test(header)) fail("expected C order (fortran_order False)");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail("no shape in the header");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  const total = shape.reduce((a, b) => a * b, 1);
  const offset = start + hlen;
  if (bytes.length !== offset + total * 8)
    fail(`expected ${total * 8} data bytes but the file has ${bytes.length - offset}`);
  const data = new Float64Array(total);
  for (let i = 0; i < total; i++) data[i] = bytes.readDoubleLE(offset + i * 8);
  return { shape, data };
}
