/**
 * `weightdyn ensemble --queue redis://HOST:PORT`: the CLI side of queue mode (src/distributed/coordinator.ts).
 *
 *   weightdyn ensemble --config study.json --out DIR --queue URL [--batch N] [--resume] [--quiet]
 *
 * Enqueues the study's runs on Redis and collects the results into DIR/runs.ndjson as `weightdyn worker`s on any
 * machines compute them. Progress on stderr: done / total, runs per second, workers (queue-progress.ts); notices
 * (a stalled job taken again, no workers yet, a lost connection) as `weightdyn: ...` lines. The summary on stdout:
 *   ensemble <id>: 60/60 runs, 60 run now (0 diverged), via redis://:***@host:6379: 2 workers seen, 60 jobs of 1
 *   run, 1 stalled job taken again, 4.2 s; results in DIR/runs.ndjson
 * Ctrl-C pauses the study's queue (workers finish their current runs and take no more) and exits with 130;
 * `--resume` continues, collecting what finished in the meantime. A second Ctrl-C ends the process at once.
 * The Redis password never appears in any message: the URL is always shown redacted.
 */

import { DistributedInputError } from "../distributed/errors.js";
import { parseBatch } from "../distributed/jobs.js";
import { parseRedisUrl } from "../distributed/redis-url.js";
import { EnsembleOutputError } from "../ensemble/errors.js";
import type { Study } from "../ensemble/study.js";
import { DirLockedError } from "../io/dir-lock.js";
import { importOptional } from "../optional-deps.js";
import { UsageError } from "./errors.js";
import { createQueueProgress } from "./queue-progress.js";

export interface QueueFlags {
  out: string;
  queue: string;
  batch?: string;
  resume?: boolean;
  quiet?: boolean;
}

/** DistributedInputError, EnsembleOutputError and DirLockedError as the UsageErrors they are to the CLI (exit 2). */
export function asCliError(err: unknown, outFlag = "--out"): unknown {
  if (err instanceof DistributedInputError) return new UsageError(err.message, { cause: err });
  if (err instanceof EnsembleOutputError || err instanceof DirLockedError) {
    return new UsageError(`${outFlag}: ${err.message}`, { cause: err });
  }
  return err;
}

/**
 * onSignals(signals, first) -> detach()
 *
 * The first of `signals` calls first(); a second one ends the process by that signal, as without a handler.
 */
export function onSignals(signals: NodeJS.Signals[], first: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      first();
      return;
    }
    detach();
    process.kill(process.pid, signal);
  };
  const detach = () => {
    for (const s of signals) process.off(s, handler);
  };
  for (const s of signals) process.on(s, handler);
  return detach;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function runQueueFromCli(study: Study, flags: QueueFlags): Promise<{ interrupted: boolean }> {
  let target: ReturnType<typeof parseRedisUrl>;
  let batch: number | undefined;
  try {
    target = parseRedisUrl(flags.queue);
    batch = parseBatch(flags.batch);
  } catch (err) {
    throw asCliError(err);
  }
  const { runQueue } = await importOptional("queue", () => import("../distributed/coordinator.js"));
  const controller = new AbortController();
  const progress = createQueueProgress({ quiet: flags.quiet });
  const detach = onSignals(["SIGINT"], () => {
    controller.abort();
    process.stderr.write(
      "\nweightdyn: interrupted: pausing the study's queue (Ctrl-C again to stop now); continue with --resume\n",
    );
  });
  let result: Awaited<ReturnType<typeof runQueue>>;
  try {
    result = await runQueue(study, {
      target,
      outDir: flags.out,
      resume: flags.resume,
      batch,
      onProgress: (status) => progress.update(status),
      onNotice: (message, kind) => progress.notice(message, kind),
      signal: controller.signal,
    });
  } catch (err) {
    throw asCliError(err);
  } finally {
    progress.stop();
    detach();
  }
  const done = result.resumed + result.completed;
  const parts = [
    `${done}/${result.total} runs`,
    ...(result.resumed > 0 ? [`${result.resumed} resumed`] : []),
    `${result.completed} run now (${result.diverged} diverged)`,
    `via ${result.queue}: ${plural(result.workersSeen.length, "worker")} seen`,
    `${plural(result.jobs, "job")} of ${plural(result.batch, "run")}`,
    ...(result.stalled > 0 ? [`${plural(result.stalled, "stalled job")} taken again`] : []),
    ...(result.duplicates > 0 ? [`${plural(result.duplicates, "duplicate result")} dropped`] : []),
    `${result.wallTimeSeconds.toFixed(1)} s`,
  ];
  process.stdout.write(`ensemble ${result.studyId}: ${parts.join(", ")}; results in ${flags.out}/runs.ndjson\n`);
  if (result.interrupted) {
    process.stdout.write(
      `interrupted: ${result.total - done} runs left; the study's queue is paused: continue with --resume\n`,
    );
    process.exitCode = 130;
  }
  return { interrupted: result.interrupted };
}
