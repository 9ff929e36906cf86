/**
 * What a run does with its covariant Lyapunov vectors, with no Node built-in: per output time, the derived quantities
 * (angles, layer composition, dominant weights; src/algorithms/angles.ts), the rows of the CSV files and their text,
 * and the arrays in memory (ClvCollector). clv-outputs.ts streams the same to files (ClvFileWriter). The files:
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
import { layerComposition, topComponents, triangularSplitAngle, vectorAngle } from "../algorithms/angles.js";
import type { ClvFrame, ClvSink } from "../algorithms/clv.js";
import type { ParameterBlock } from "../backend/layers.js";
import { formatCsv } from "./csv-text.js";

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

/** Files a run's CLVs are streamed to: the paths of the files by kind (clv, weights, times, angles, ...). */
export type ClvFilePaths = { [kind: string]: string };

/** Where a run's CLVs are streamed (Node: clvFileOutput(outDir) in clv-outputs.ts; src/run-clv.ts prepareRunClv). */
export interface ClvFileOutput {
  /** Opens the files for the output times of spec; finish() completes them, abort() removes partial files. */
  open(spec: ClvOutputSpec): { sink: ClvSink; finish(): ClvFilePaths; abort(): void };
  /** The name of a file in the summary (its base name). */
  nameOf(path: string): string;
}

/** Bytes a sink keeps per output time (counted against the CLV memory budget). */
export function clvSinkBytesPerTime(spec: ClvOutputSpec, collect: boolean): number {
  const rows = clvAngleHeader(spec).length + 1 + 2 * (spec.blocks ? spec.topWeights : 0);
  const arrays = collect ? spec.D * spec.k + spec.D + (spec.blocks ? spec.blocks.length * spec.k : 0) : 0;
  return (rows + arrays) * 8;
}

/** Per-frame quantities in reusable buffers. */
export class FrameAnalysis {
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
export class CsvRows {
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

/** The texts of the CLV CSV files (clv-times.csv, clv-angles.csv and, with dominant weights, clv-top.csv). */
export interface ClvCsvTexts {
  times: string;
  angles: string;
  top?: string;
}

/** The CSV files of the rows kept (module comment): one formatter for the files and for the arrays' callers. */
export function clvCsvTexts(spec: ClvOutputSpec, rows: CsvRows, withTop: boolean): ClvCsvTexts {
  const times = formatCsv(
    ["index", "time"],
    (function* () {
      for (let i = 0; i < rows.times.length; i++) yield [i, rows.times[i]];
    })(),
  );
  const out: ClvCsvTexts = { times, angles: formatCsv(clvAngleHeader(spec), rowsOf(rows.angles, rows.angleCols)) };
  if (withTop) {
    const header = ["time"];
    for (let r = 1; r <= rows.topN; r++) header.push(`index_${r}`, `value_${r}`);
    out.top = formatCsv(header, rowsOf(rows.top, 1 + 2 * rows.topN));
  }
  return out;
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

  /** The CSV files a run with an output directory writes (clv-times.csv, clv-angles.csv, clv-top.csv), as text. */
  csvTexts(): ClvCsvTexts {
    return clvCsvTexts(this.spec, this.rows, this.spec.blocks !== undefined && this.rows.topN > 0);
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
