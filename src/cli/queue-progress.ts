/**
 * Progress of a queue coordinator on stderr: runs done / total, runs per second, workers.
 *
 *   createQueueProgress({ quiet, stream, env }) -> { update(status), notice(message), stop() }
 *
 * The mode is progress.ts's (progressMode): a bar on a terminal
 *   weightdyn ████████░░░░ 62% | 620/1000 | 41.3 runs/s | workers 3 (2 live) | ETA 9s
 * lines with WEIGHTDYN_PROGRESS=lines (one each time another 10% is done, and at least every 30 s:
 * `weightdyn: 62% (620/1000), 41.3 runs/s, workers 3 (2 live)`), nothing with --quiet or when stderr is not a
 * terminal. Notices (a stalled job taken again, no workers yet) are printed in every mode but --quiet, each on a
 * line of its own: `weightdyn: <message>`; fault notices (Redis lost or not answering, a lease or registration
 * taken again) in every mode, --quiet included: an outage must never look like a silent hang.
 */
import cliProgress from "cli-progress";
import type { QueueStatus } from "../distributed/coordinator.js";
import { redactSecrets } from "../distributed/redis-url.js";
import { type ProgressOptions, progressMode } from "./progress.js";

export interface QueueProgress {
  update(status: QueueStatus): void;
  notice(message: string, kind?: "fault"): void;
  stop(): void;
}

function workersText(status: QueueStatus): string {
  return status.workersLive === null ? `${status.workersSeen}` : `${status.workersSeen} (${status.workersLive} live)`;
}

export function createQueueProgress(options: ProgressOptions = {}): QueueProgress {
  const stream = options.stream ?? process.stderr;
  const mode = progressMode(options);
  const quiet = options.quiet === true;
  const noticeLine = (message: string, kind?: "fault") => {
    if (quiet && kind !== "fault") return;
    // On a terminal with a bar, clear the bar's line first; the bar redraws itself on its next tick.
    stream.write(`${mode === "bar" ? "\r\u001b[K" : ""}weightdyn: ${redactSecrets(message)}\n`);
  };
  if (mode === "lines") {
    let lastDecile = -1;
    let lastTime = 0;
    return {
      update(status) {
        if (!(status.total > 0)) return;
        const decile = Math.floor((10 * status.done) / status.total);
        const now = Date.now();
        if (decile <= lastDecile && now - lastTime < 30_000) return;
        lastDecile = decile;
        lastTime = now;
        const percent = Math.floor((100 * status.done) / status.total);
        stream.write(
          `weightdyn: ${percent}% (${status.done}/${status.total}), ${status.runsPerSecond.toFixed(1)} runs/s, ` +
            `workers ${workersText(status)}\n`,
        );
      },
      notice: noticeLine,
      stop() {},
    };
  }
  if (mode === "bar") {
    let bar: cliProgress.SingleBar | null = null;
    let stopped = false;
    return {
      update(status) {
        if (stopped || !(status.total > 0)) return;
        const payload = { rate: status.runsPerSecond.toFixed(1), workers: workersText(status) };
        if (bar === null) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format:
                "weightdyn {bar} {percentage}% | {value}/{total} | {rate} runs/s | workers {workers} | ETA {eta_formatted}",
              hideCursor: true,
              clearOnComplete: true,
              fps: 5,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(status.total, status.done, payload);
          return;
        }
        bar.setTotal(status.total);
        bar.update(status.done, payload);
      },
      notice: noticeLine,
      stop() {
        if (stopped) return;
        stopped = true;
        bar?.stop();
      },
    };
  }
  return { update() {}, notice: noticeLine, stop() {} };
}
