/**
 * The CLV files of a run streamed to its output directory (ClvFileWriter); the per-frame analysis, the CSV texts,
 * the in-memory collector and the description of every file are in clv-frames.ts (no Node built-in; re-exported here).
 *
 * The backward pass delivers the last time first; the .npy slices are written in place and the CSV rows are kept
 * (a few numbers per time) and written in time order by finish().
 */
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { ClvSink } from "../algorithms/clv.js";
import { writeFileAtomic } from "./atomic.js";
import { type ClvFileOutput, type ClvOutputSpec, CsvRows, clvCsvTexts, FrameAnalysis } from "./clv-frames.js";
import { NpyWriter } from "./npy.js";

export {
  type ClvArrays,
  ClvCollector,
  type ClvCsvTexts,
  type ClvFileOutput,
  type ClvFilePaths,
  type ClvOutputSpec,
  clvAngleHeader,
  clvCsvTexts,
  clvSinkBytesPerTime,
} from "./clv-frames.js";

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
    const texts = clvCsvTexts(this.spec, this.rows, this.files.top !== undefined);
    writeFileAtomic(this.files.times, texts.times);
    writeFileAtomic(this.files.angles, texts.angles);
    if (this.files.top && texts.top !== undefined) writeFileAtomic(this.files.top, texts.top);
    return this.files;
  }

  /** Removes the partial .npy files. */
  abort(): void {
    this.npy.clv.abort();
    this.npy.weights.abort();
    this.npy.layers?.abort();
  }
}

/** Streams a run's CLVs to files in outDir (created when the backward pass starts): prepareRunClv's `files`. */
export function clvFileOutput(outDir: string): ClvFileOutput {
  return {
    open(spec) {
      mkdirSync(outDir, { recursive: true });
      const writer = new ClvFileWriter(outDir, spec);
      return { sink: writer.sink, finish: () => ({ ...writer.finish() }), abort: () => writer.abort() };
    },
    nameOf: (path) => basename(path),
  };
}
