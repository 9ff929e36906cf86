/**
 * `weightdyn worker`: takes runs from the studies queued on a Redis and computes them here
 * (src/distributed/queue-worker.ts).
 *
 *   weightdyn worker --queue redis://HOST:PORT [--workers N] [--backend auto|native|wasm] [--study ID]
 *                    [--lock-duration MS] [--stalled-interval MS] [--max-stalled N] [--idle-exit SECONDS] [--quiet]
 *
 * Runs until stopped (or, with --idle-exit, until no study has been queued for that long). --queue may be left
 * out when WEIGHTDYN_QUEUE holds the URL; the password may come from WEIGHTDYN_REDIS_PASSWORD (either keeps it out
 * of the process list). Lines on stderr: what is served (`weightdyn: serving study <id>: ...`), jobs that failed,
 * and, even with --quiet, lost connections and a Redis that does not answer. Ctrl-C or SIGTERM (Kubernetes, Slurm) stops taking jobs, lets the running ones finish and
 * report, and exits with 0; a second one ends the process at once (its jobs are taken again by other workers once
 * their locks expire). Summary on stdout: `worker host:pid: 12 jobs, 48 runs of 1 study`.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { BACKEND_CHOICES } from "../config/schema.js";
import { parseRedisUrl, redactSecrets } from "../distributed/redis-url.js";
import { WORKER_DEFAULTS } from "../distributed/worker-defaults.js";
import { importOptional } from "../optional-deps.js";
import { pickBackendName } from "./backend-choice.js";
import { parseWorkers } from "./ensemble-command.js";
import { asCliError, onSignals } from "./ensemble-queue.js";
import { UsageError } from "./errors.js";
import { noticeWasmFallback } from "./fallback-notice.js";
import { positiveFlag } from "./flags.js";

interface WorkerFlags {
  queue?: string;
  workers?: string;
  backend?: string;
  study?: string;
  lockDuration?: string;
  stalledInterval?: string;
  maxStalled?: string;
  idleExit?: string;
  quiet?: boolean;
}

async function workerAction(flags: WorkerFlags): Promise<void> {
  const url = flags.queue ?? process.env.WEIGHTDYN_QUEUE;
  if (url === undefined || url.trim() === "") {
    throw new UsageError("worker: expected --queue redis://HOST:PORT (or the WEIGHTDYN_QUEUE environment variable)");
  }
  let target: ReturnType<typeof parseRedisUrl>;
  try {
    target = parseRedisUrl(url);
  } catch (err) {
    throw asCliError(err);
  }
  if (flags.study !== undefined && !/^[0-9a-f]{16}$/.test(flags.study)) {
    throw new UsageError(`--study: expected a study id (16 hex digits) but received ${JSON.stringify(flags.study)}`);
  }
  const workers = parseWorkers(flags.workers);
  const backend = pickBackendName(flags.backend, process.env.WEIGHTDYN_BACKEND, undefined);
  noticeWasmFallback(backend);
  const lockDurationMs = positiveFlag("--lock-duration", flags.lockDuration, { integer: true });
  const stalledIntervalMs = positiveFlag("--stalled-interval", flags.stalledInterval, { integer: true });
  const maxStalledCount = positiveFlag("--max-stalled", flags.maxStalled, { integer: true });
  const idleExit = positiveFlag("--idle-exit", flags.idleExit, { integer: false });
  // Faults (Redis lost or not answering) are said even under --quiet: an outage must not look like a hang.
  const say = (message: string, kind?: "fault") => {
    if (!flags.quiet || kind === "fault") process.stderr.write(`weightdyn: ${redactSecrets(message)}\n`);
  };
  const controller = new AbortController();
  const detach = onSignals(["SIGINT", "SIGTERM"], () => {
    controller.abort();
    say("stopping: finishing the running jobs (again to stop now)");
  });
  try {
    const { runWorker } = await importOptional("queue", () => import("../distributed/queue-worker.js"));
    const summary = await runWorker({
      target,
      workers,
      backend,
      study: flags.study,
      lockDurationMs,
      stalledIntervalMs,
      maxStalledCount,
      idleExitMs: idleExit === undefined ? undefined : idleExit * 1000,
      onNotice: say,
      signal: controller.signal,
      onReady: (info) =>
        say(`worker ${info.name} on ${target.display}: ${info.threads} ${info.backend} threads; waiting for studies`),
    });
    const studies = summary.studies.length;
    process.stdout.write(
      `worker ${summary.name}: ${summary.jobs} jobs, ${summary.runs} runs of ${studies} ${studies === 1 ? "study" : "studies"}\n`,
    );
  } catch (err) {
    throw asCliError(err);
  } finally {
    detach();
  }
}

/**
 * registerWorkerCommand(program)
 *
 * Adds the `worker` command (module comment) to the weightdyn commander program.
 */
export function registerWorkerCommand(program: Command): Command {
  const d = WORKER_DEFAULTS;
  return program
    .command("worker")
    .description("take runs of the studies queued on a Redis (weightdyn ensemble --queue) and compute them here")
    .option("--queue <url>", "redis://[:password@]host:port[/db] or rediss:// (default: WEIGHTDYN_QUEUE)")
    .option("-w, --workers <n>", "threads (default: all cores); one job more than that is taken at a time")
    .addOption(new Option("--backend <name>", "compute backend (overrides WEIGHTDYN_BACKEND)").choices(BACKEND_CHOICES))
    .option("--study <id>", "serve only this study id (default: every study on the queue)")
    .option("--lock-duration <ms>", `a job's lock; a dead worker's job is retaken after it (${d.lockDurationMs})`)
    .option("--stalled-interval <ms>", `how often expired locks are looked for (${d.stalledIntervalMs})`)
    .option("--max-stalled <n>", `times a job may be retaken before it fails (${d.maxStalledCount})`)
    .option("--idle-exit <seconds>", "exit after this long with no study to serve (default: run until stopped)")
    .option("-q, --quiet", "no messages on stderr")
    .action(workerAction);
}
