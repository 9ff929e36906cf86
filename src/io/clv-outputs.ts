/**
 * What a run does with its covariant Lyapunov vectors: per output time, the derived quantities (angles, layer
 * composition, dominant weights; src/algorithms/angles.ts), and either files streamed to the output directory
 * (ClvFileWriter) or arrays in memory (ClvCollector), with the same content.
 *
 *   clv.npy          float64 [T, D, k]: clv[i][:, j] is CLV j at time times[i] (unit length, sign arbitrary); D is
 *                    the dimension of the system's state (for a network trained with momentum or Adam, the state
 *                    (w, v) or (w, m, v))
 *   weights.npy      float64 [T, D]: the state at the same times
 *   clv-times.csv    index,time
 *   clv-angles.csv   time, angle_<i+1>_<j+1> for each pair [i, j] (radians, [0, pi/2]), and min_angle_first_<p>:
 *                    the smallest principal angle between span(CLV 1..p) and span(CLV p+1..k)
 *   clv-layers.npy   float64 [T, k, B]: share of |CLV j|^2 in each of the B blocks of the state: W1, b1, W2, b2, ...
 *                    of every layer, then the same blocks of the optimizer's state (v.W1, ...; src/backend/layers.ts
 *                    stateBlocks), named in summary.json's clv.layers (networks)
 *   clv-top.csv      time, index_r, value_r for r = 1..n: the n state components (0-based indices in the order of
 *                    the state vector) with the largest |component| in CLV 1 (networks)
 *
 * The backward pass delivers the last time first; the .npy slices are written in place and the CSV rows are kept
 * (a few numbers per time) and written in time order by finish().
 */
import { join } from "node:path";
import { layerComposition, topComponents, triangularSplitAngle, vectorAngle } from "../algorithms/angles.js";
import type { ClvFrame, ClvSink } from "../algorithms/clv.js";
import type { ParameterBlock } from "../backend/layers.js";
import { writeCsv } from "./csv.js";
import { NpyWriter } from "./npy.js";

export interface ClvOutputSpec {
  D: number;
  k: number;
  /** Number of output times T. */
  times: number;
  /** CLV index pairs whose angles are output. */
  pairs: [number, number][];
  /** p of the subspace angle, or null for none (p = 0 or k). */
  split: number | null;
  /** The blocks of a network's state (for layers and dominant weights; layers.ts stateBlocks); absent for other
   *  systems. */
  blocks?: readonly ParameterBlock[];
  /** How many dominant weights of CLV 1 (0: none). */
  topWeights: number;
}

/** Header of clv-angles.csv. */
export function clvAngleHeader(spec: ClvOutputSpec): string[] {
  const h = ["time", ...spec.pairs.map(([i, j]) => `angle_${i + 1}_${j + 1}`)];
  if (spec.split !== null) h.push(`min_angle_first_${spec.split}`);
  return h;
}

/** Bytes a sink keeps per output time (counted against the CLV memory budget). */
export function clvSinkBytesPerTime(spec: ClvOutputSpec, collect: boolean): number {
  const rows = clvAngleHeader(spec).length + 1 + 2 * (spec.blocks ? spec.topWeights : 0);
  const arrays = collect ? spec.D * spec.k + spec.D + (spec.blocks ? spec.blocks.length * spec.k : 0) : 0;
  return (rows + arrays) * 8;
}

/** Per-frame quantities in reusable buffers. */
class FrameAnalysis {
  readonly angleCols: number;
  readonly layers: Float64Array;
  readonly topIndices: Float64Array;
  readonly topValues: Float64Array;
  readonly vectorsCOrder: Float64Array;

  constructor(readonly spec: ClvOutputSpec) {
    this.angleCols = clvAngleHeader(spec).length;
    this.layers = new Float64Array(spec.blocks ? spec.k * spec.blocks.length : 0);
    const n = spec.blocks ? Math.min(spec.topWeights, spec.D) : 0;
    this.topIndices = new Float64Array(n);
    this.topValues = new Float64Array(n);
    this.vectorsCOrder = new Float64Array(spec.D * spec.k);
  }

  /** [time, pair angles..., split angle] measured on the coefficients C (the same angles as in V = Q C). */
  angles(f: ClvFrame, row: Float64Array): void {
    row[0] = f.time;
    let c = 1;
    for (const [i, j] of this.spec.pairs) row[c++] = vectorAngle(f.coefficients, f.k, i, j);
    if (this.spec.split !== null) row[c] = triangularSplitAngle(f.coefficients, f.k, this.spec.split);
  }

  /** Layer shares and dominant weights (networks). */
  network(f: ClvFrame): void {
    if (!this.spec.blocks) return;
    layerComposition(f.vectors, this.spec.blocks, f.k, this.layers);
    const top = topComponents(f.vectors.subarray(0, f.D), this.topIndices.length);
    this.topIndices.set(top.indices);
    this.topValues.set(top.values);
  }

  /** V (D x k column-major) in C order [D, k]. */
  cOrder(f: ClvFrame): Float64Array {
    const { D, k } = f;
    for (let j = 0; j < k; j++) for (let d = 0; d < D; d++) this.vectorsCOrder[d * k + j] = f.vectors[j * D + d];
    return this.vectorsCOrder;
  }
}

/** Rows kept for the CSV files, filled by frame index. */
class CsvRows {
  readonly times: Float64Array;
  readonly angles: Float64Array;
  readonly top: Float64Array;

  constructor(
    spec: ClvOutputSpec,
    readonly angleCols: number,
    readonly topN: number,
  ) {
    this.times = new Float64Array(spec.times);
    this.angles = new Float64Array(spec.times * angleCols);
    this.top = new Float64Array(spec.times * (1 + 2 * topN));
  }

  add(f: ClvFrame, a: FrameAnalysis): void {
    this.times[f.index] = f.time;
    a.angles(f, this.angles.subarray(f.index * this.angleCols, (f.index + 1) * this.angleCols));
    const w = 1 + 2 * this.topN;
    this.top[f.index * w] = f.time;
    for (let r = 0; r < this.topN; r++) {
      this.top[f.index * w + 1 + 2 * r] = a.topIndices[r];
      this.top[f.index * w + 2 + 2 * r] = a.topValues[r];
    }
  }
}

function* rowsOf(values: Float64Array, cols: number): Generator<Float64Array> {
  for (let r = 0; r * cols < values.length; r++) yield values.subarray(r * cols, (r + 1) * cols);
}

/** The file name of each CLV output (ClvFileNames holds the paths of those a run wrote). */
export const CLV_FILES = {
  clv: "clv.npy",
  weights: "weights.npy",
  times: "clv-times.csv",
  angles: "clv-angles.csv",
  layers: "clv-layers.npy",
  top: "clv-top.csv",
} as const;

export interface ClvFileNames {
  clv: string;
  weights: string;
  times: string;
  angles: string;
  layers?: string;
  top?: string;
}

/** Streams CLVs to files in `dir` (module comment). Call finish() after the backward pass, abort() on failure. */
export class ClvFileWriter {
  readonly sink: ClvSink;
  private readonly analysis: FrameAnalysis;
  private readonly rows: CsvRows;
  private readonly npy: { clv: NpyWriter; weights: NpyWriter; layers?: NpyWriter };
  private readonly files: ClvFileNames;

  constructor(
    readonly dir: string,
    readonly spec: ClvOutputSpec,
  ) {
    const { D, k, times } = spec;
    this.analysis = new FrameAnalysis(spec);
    const topN = this.analysis.topIndices.length;
    this.rows = new CsvRows(spec, this.analysis.angleCols, topN);
    this.files = {
      clv: join(dir, CLV_FILES.clv),
      weights: join(dir, CLV_FILES.weights),
      times: join(dir, CLV_FILES.times),
      angles: join(dir, CLV_FILES.angles),
      ...(spec.blocks ? { layers: join(dir, CLV_FILES.layers) } : {}),
      ...(spec.blocks && topN > 0 ? { top: join(dir, CLV_FILES.top) } : {}),
    };
    const opened: NpyWriter[] = [];
    try {
      opened.push(new NpyWriter(this.files.clv, [times, D, k]));
      opened.push(new NpyWriter(this.files.weights, [times, D]));
      if (this.files.layers) opened.push(new NpyWriter(this.files.layers, [times, k, spec.blocks?.length ?? 0]));
    } catch (err) {
      for (const w of opened) w.abort();
      throw err;
    }
    this.npy = { clv: opened[0], weights: opened[1], layers: opened[2] };
    this.sink = (f) => {
      this.analysis.network(f);
      this.rows.add(f, this.analysis);
      this.npy.clv.writeSlice(f.index, this.analysis.cOrder(f));
      this.npy.weights.writeSlice(f.index, f.state);
      this.npy.layers?.writeSlice(f.index, this.analysis.layers);
    };
  }

  /** Completes the .npy files and writes the CSV files; returns the paths. */
  finish(): ClvFileNames {
    this.npy.clv.finish();
    this.npy.weights.finish();
    this.npy.layers?.finish();
    const { rows } = this;
    writeCsv(
      this.files.times,
      ["index", "time"],
      (function* () {
        for (let i = 0; i < rows.times.length; i++) yield [i, rows.times[i]];
      })(),
    );
    writeCsv(this.files.angles, clvAngleHeader(this.spec), rowsOf(rows.angles, rows.angleCols));
    if (this.files.top) {
      const header = ["time"];
      for (let r = 1; r <= rows.topN; r++) header.push(`index_${r}`, `value_${r}`);
      writeCsv(this.files.top, header, rowsOf(rows.top, 1 + 2 * rows.topN));
    }
    return this.files;
  }

  /** Removes the partial .npy files. */
  abort(): void {
    this.npy.clv.abort();
    this.npy.weights.abort();
    this.npy.layers?.abort();
  }
}

/** The content of the CLV files as arrays (the typed API of small runs). */
export interface ClvArrays {
  times: number[];
  /** [T, D, k], C order, as clv.npy. */
  vectors: Float64Array;
  /** [T, D], as weights.npy. */
  weights: Float64Array;
  /** clv-angles.csv: header and T x header.length values, row-major. */
  angles: { header: string[]; values: Float64Array };
  /** [T, k, B], as clv-layers.npy (networks). */
  layers?: Float64Array;
  /** clv-top.csv without the time column: T x n indices and values (networks). */
  top?: { indices: Float64Array; values: Float64Array; n: number };
}

/** Collects everything in memory. */
export class ClvCollector {
  readonly sink: ClvSink;
  private readonly analysis: FrameAnalysis;
  private readonly rows: CsvRows;
  private readonly vectors: Float64Array;
  private readonly weights: Float64Array;
  private readonly layers?: Float64Array;

  constructor(readonly spec: ClvOutputSpec) {
    const { D, k, times } = spec;
    this.analysis = new FrameAnalysis(spec);
    this.rows = new CsvRows(spec, this.analysis.angleCols, this.analysis.topIndices.length);
    this.vectors = new Float64Array(times * D * k);
    this.weights = new Float64Array(times * D);
    if (spec.blocks) this.layers = new Float64Array(times * k * spec.blocks.length);
    this.sink = (f) => {
      this.analysis.network(f);
      this.rows.add(f, this.analysis);
      this.vectors.set(this.analysis.cOrder(f), f.index * D * k);
      this.weights.set(f.state, f.index * D);
      this.layers?.set(this.analysis.layers, f.index * this.analysis.layers.length);
    };
  }

  result(): ClvArrays {
    const { rows } = this;
    const n = rows.topN;
    const T = this.spec.times;
    const out: ClvArrays = {
      times: Array.from(rows.times),
      vectors: this.vectors,
      weights: this.weights,
      angles: { header: clvAngleHeader(this.spec), values: rows.angles },
    };
    if (this.layers) out.layers = this.layers;
    if (this.spec.blocks && n > 0) {
      const indices = new Float64Array(T * n);
      const values = new Float64Array(T * n);
      for (let i = 0; i < T; i++)
        for (let r = 0; r < n; r++) {
          indices[i * n + r] = rows.top[i * (1 + 2 * n) + 1 + 2 * r];
          values[i * n + r] = rows.top[i * (1 + 2 * n) + 2 + 2 * r];
        }
      out.top = { indices, values, n };
    }
    return out;
  }
}
