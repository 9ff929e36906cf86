/**
 * The messages between the page (main.ts) and the engine's Web Worker (worker.ts). Everything is structured-cloned;
 * the worker transfers its typed arrays.
 *
 * page -> worker:   run        one training run of a raw config (validated again in the worker by parseRunConfig)
 *                   ensemble   `runs` runs of the config with seeds runSeed(seed, i), trained one after another
 * worker -> page:   ready      the WASM kernels are compiled
 *                   progress   after every chunk of a run: the new losses, FTLE windows and running estimates, the fit
 *                   done       the run's files (summary.json, loss.csv, ftle.csv, and clv-angles.csv with CLVs)
 *                   member     one finished run of an ensemble
 *                   finished   the ensemble is complete
 *                   error      a ConfigError (with its issues) or any other failure, as text
 */
import type { ConfigIssue, RunFileTexts } from "../../src/browser.js";

/** The pasted CSV of data.csv, when the config uses it. */
export type PastedCsv = string | null;

export type ToWorker =
  | { type: "run"; id: number; raw: unknown; csv: PastedCsv }
  | { type: "ensemble"; id: number; raw: unknown; csv: PastedCsv; runs: number; seed: number; early: number };

/** The network's outputs at display points: x (N x inputs) and f (N x outputs), row-major. */
export interface Fit {
  x: Float64Array;
  f: Float64Array;
}

/** What is new since the last progress message of a run. */
export interface Progress {
  type: "progress";
  id: number;
  done: number;
  total: number;
  /** C(w_t) for t = lossFrom .. lossFrom + losses.length - 1. */
  lossFrom: number;
  losses: Float64Array;
  k: number;
  /** New complete FTLE windows: their first steps, and windows x k values. */
  starts: number[];
  ftle: Float64Array;
  /** The running estimates at the end of the same windows (measured steps, and windows x k values). */
  runningSteps: number[];
  running: Float64Array;
  fit: Fit | null;
}

export interface RunDone {
  type: "done";
  id: number;
  files: RunFileTexts & { "clv-angles.csv"?: string };
  exponents: number[];
  finalLoss: number;
  diverged: boolean;
  fit: Fit | null;
  /** clv-angles.csv as numbers: its header and T x header.length values. */
  clvAngles: { header: string[]; values: Float64Array } | null;
  /** Why no CLVs were computed, when asked for and skipped (e.g. the run diverged first). */
  clvSkipped: string | null;
  seconds: number;
}

export interface Member {
  type: "member";
  id: number;
  index: number;
  seed: number;
  diverged: boolean;
  /** C(w) after the last update; null when not finite. */
  finalLoss: number | null;
  /** The early FTLE spectrum over [0, e) (null entries past a divergence) and its largest entry. */
  early: (number | null)[] | null;
  earlyMax: number | null;
}

export type FromWorker =
  | { type: "ready" }
  | Progress
  | RunDone
  | Member
  | { type: "finished"; id: number; seconds: number }
  | { type: "error"; id: number; message: string; issues: ConfigIssue[] | null };
