/**
 * Progress reporting of a CLI run, on stderr only (stdout carries the summary).
 *
 * createProgress({quiet, stream, env, unit}) -> {onProgress(done, total), stop()}
 *
 * Modes, chosen once:
 *   - "none" with --quiet, or WEIGHTDYN_PROGRESS=none|off|0;
 *   - "lines" with WEIGHTDYN_PROGRESS=lines: a line `weightdyn: 40% (2000/5000)` each time another 10% is done,
 *     whether or not stderr is a terminal (for logs and CI);
 *   - "bar" (default) when stderr is a TTY: a cli-progress bar with its ETA, cleared when the run ends;
 *   - "estimate" otherwise (stderr redirected, e.g. a batch job's log): nothing for a short run; once
 *     ESTIMATE_AFTER_MS have passed, if the rate measured so far leaves more than LONG_RUN_MS to go, one line
 *     `weightdyn: 52000/20000000 steps in 2.0 s: about 13 min to go; a line every 10%`, then the lines of "lines"
 *     mode. So a long run never runs silently, and a short one stays quiet.
 * Updates are throttled: the bar is redrawn at most every `minIntervalMs` (100 ms) and on completion, so calling
 * onProgress every step costs a clock read. Before a run whose plan alone says it is long, planNotice gives the
 * planned flops and a lower bound on the time.
 */
import cliProgress from "cli-progress";
import { formatBytes } from "../algorithms/clv-memory.js";
import type { RunPlan } from "../config/run-plan.js";

export type ProgressMode = "none" | "lines" | "bar" | "estimate";

export interface ProgressOptions {
  /** --quiet: no progress at all. */
  quiet?: boolean;
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Environment (default process.env), for WEIGHTDYN_PROGRESS. */
  env?: NodeJS.ProcessEnv;
  /** Minimum time between two redraws of the bar, ms (default 100). */
  minIntervalMs?: number;
  /** What is counted, for the estimate line ("steps", "runs"; default "steps"). */
  unit?: string;
}

/** "estimate" mode: how long to measure before judging, and what counts as a long run. */
export const ESTIMATE_AFTER_MS = 2000;
export const LONG_RUN_MS = 60_000;

export interface ProgressReporter {
  readonly mode: ProgressMode;
  /** Reports that `done` of `total` units of work are complete. */
  readonly onProgress: (done: number, total: number) => void;
  /** Ends the display (idempotent); call it also when the run fails. */
  stop(): void;
}

/** The mode createProgress uses for these options (see the module comment). */
export function progressMode(options: ProgressOptions = {}): ProgressMode {
  const stream = options.stream ?? process.stderr;
  const setting = (options.env ?? process.env).WEIGHTDYN_PROGRESS?.trim().toLowerCase() ?? "";
  if (options.quiet || setting === "none" || setting === "off" || setting === "0") return "none";
  if (setting === "lines") return "lines";
  return stream.isTTY ? "bar" : "estimate";
}

/**
 * A rate no single core reaches on these kernels, to turn a planned flop count into a lower bound on the time: the
 * hot loop is single-threaded, and one-thread float64 matmul ran at 36.5 GFLOP/s on the reference machine
 * (README, Performance), the fastest kernel at 17.5.
 */
export const FLOPS_BOUND_PER_SECOND = 40e9;

/**
 * planNotice(plan) -> `planned: 1.5e+16 flops (2.9e+12 a step, factored route) and 1.9 GiB: at least 4.3 days, ...`
 * when even at FLOPS_BOUND_PER_SECOND the run takes longer than LONG_RUN_MS, else null. Printed before a run starts
 * (unless --quiet): a run whose steps are slow reports no progress for a long time, so this says so at once.
 */
export function planNotice(plan: RunPlan): string | null {
  const atLeast = (plan.totalFlops / FLOPS_BOUND_PER_SECOND) * 1000;
  if (!(atLeast > LONG_RUN_MS)) return null;
  const route = plan.route === "none" ? "no tangent" : `${plan.route} route`;
  return (
    `planned: ${plan.totalFlops.toPrecision(2)} flops (${plan.flopsPerStep.total.toPrecision(2)} a step, ${route}) ` +
    `and ${formatBytes(plan.totalBytes)}: at least ${formatDuration(atLeast)} (at ${FLOPS_BOUND_PER_SECOND / 1e9} ` +
    "GFLOP/s, more than one core runs these kernels)"
  );
}

/** A duration in words: "45 s", "13 min", "2.5 h", "3.1 days". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const mode = progressMode(options);
  const stream = options.stream ?? process.stderr;
  if (mode === "lines") return linesReporter(stream);
  if (mode === "bar") return barReporter(stream, options.minIntervalMs ?? 100);
  if (mode === "estimate") return estimateReporter(stream, options.unit ?? "steps");
  return { mode, onProgress: () => {}, stop: () => {} };
}

function estimateReporter(stream: NodeJS.WriteStream, unit: string): ProgressReporter {
  const started = performance.now();
  let first: { at: number; done: number } | null = null;
  let lines: ProgressReporter | null = null;
  let judged = false;
  return {
    mode: "estimate",
    onProgress: (done, total) => {
      if (lines) {
        lines.onProgress(done, total);
        return;
      }
      const now = performance.now();
      // The rate is measured from the first report on (resumed work and start-up cost excluded).
      first ??= { at: now, done };
      if (judged || now - started < ESTIMATE_AFTER_MS || done <= first.done || !(total > done)) return;
      judged = true;
      const rate = (done - first.done) / (now - first.at);
      const left = (total - done) / rate;
      if (left <= LONG_RUN_MS) return;
      stream.write(
        `weightdyn: ${done}/${total} ${unit} in ${((now - started) / 1000).toFixed(1)} s: about ${formatDuration(left)} ` +
          "to go; a line every 10%\n",
      );
      lines = linesReporter(stream);
      lines.onProgress(done, total);
    },
    stop: () => {},
  };
}

function linesReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let lastDecile = 0;
  return {
    mode: "lines",
    onProgress: (done, total) => {
      if (!(total > 0)) return;
      const decile = Math.min(10, Math.floor((10 * done) / total));
      if (decile <= lastDecile) return;
      lastDecile = decile;
      stream.write(`weightdyn: ${decile * 10}% (${done}/${total})\n`);
    },
    stop: () => {},
  };
}

function barReporter(stream: NodeJS.WriteStream, minIntervalMs: number): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let stopped = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  return {
    mode: "bar",
    onProgress: (done, total) => {
      if (stopped || !(total > 0)) return;
      const now = performance.now();
      if (bar === null) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: "weightdyn {bar} {percentage}% | {value}/{total} | ETA {eta_formatted}",
            hideCursor: true,
            clearOnComplete: true,
            fps: 10,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
        lastDraw = now;
        return;
      }
      if (done < total && now - lastDraw < minIntervalMs) return;
      lastDraw = now;
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar?.stop();
    },
  };
}
