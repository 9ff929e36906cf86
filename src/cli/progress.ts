/**
 * Progress reporting of a CLI run, on stderr only (stdout carries the summary).
 *
 * createProgress({quiet, stream, env}) -> {onProgress(done, total), stop()}
 *
 * Modes, chosen once:
 *   - "none" with --quiet, or WEIGHTDYN_PROGRESS=none|off|0;
 *   - "lines" with WEIGHTDYN_PROGRESS=lines: a line `weightdyn: 40% (2000/5000)` each time another 10% is done,
 *     whether or not stderr is a terminal (for logs and CI);
 *   - "bar" (default) when stderr is a TTY: a cli-progress bar, cleared when the run ends;
 *   - "none" otherwise (stderr redirected).
 * Updates are throttled: the bar is redrawn at most every `minIntervalMs` (100 ms) and on completion, so calling
 * onProgress every step costs a clock read.
 */
import cliProgress from "cli-progress";

export type ProgressMode = "none" | "lines" | "bar";

export interface ProgressOptions {
  /** --quiet: no progress at all. */
  quiet?: boolean;
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Environment (default process.env), for WEIGHTDYN_PROGRESS. */
  env?: NodeJS.ProcessEnv;
  /** Minimum time between two redraws of the bar, ms (default 100). */
  minIntervalMs?: number;
}

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
  return stream.isTTY ? "bar" : "none";
}

export function createProgress(options: ProgressOptions = {}): ProgressReporter {
  const mode = progressMode(options);
  const stream = options.stream ?? process.stderr;
  if (mode === "lines") return linesReporter(stream);
  if (mode === "bar") return barReporter(stream, options.minIntervalMs ?? 100);
  return { mode, onProgress: () => {}, stop: () => {} };
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
