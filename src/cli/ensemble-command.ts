/**
 * `weightdyn ensemble`: a grid of run configs times initial-condition draws, on worker threads.
 *
 *   weightdyn ensemble --config study.json --out DIR [--workers N] [--resume] [--backend auto|native|wasm] [--quiet]
 *                      [--shard I/N | --shard /N | --shards N]        one shard of the study (docs/distributed.md)
 *   weightdyn ensemble --config study.json --out DIR --queue redis://HOST:PORT [--batch N] [--resume] [--quiet]
 *                                                                   queue mode (ensemble-queue.ts)
 *
 * Writes DIR/study.json and DIR/runs.ndjson (one line per finished run, in completion order; src/ensemble/). The
 * study file is checked completely (every grid point, its data and weights files) before a thread starts; a bad
 * field is `weightdyn: Invalid study: <field>: ...` with exit code 2, as is an output directory that holds another
 * study or, without --resume, any runs. Progress: a bar with ETA on stderr when it is a terminal (not with --quiet).
 *
 * Ctrl-C (SIGINT) stops handing out runs; the running ones finish and are written, and the command exits with 130
 * (resume with --resume). A second Ctrl-C ends the process at once, by the signal: every finished line is already
 * on disk, and the runs that were running are simply run again on resume.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { BACKEND_CHOICES } from "../config/schema.js";
import { EnsembleOutputError } from "../ensemble/errors.js";
import { expandGrid } from "../ensemble/grid.js";
import type { EnsembleResult } from "../ensemble/runner.js";
import { loadStudyFile, type Study } from "../ensemble/study.js";
import { DirLockedError } from "../io/dir-lock.js";
import { pickBackendName } from "./backend-choice.js";
import { distributedFlags } from "./distributed-flags.js";
import { runQueueFromCli } from "./ensemble-queue.js";
import { UsageError } from "./errors.js";
import { noticeWasmFallback } from "./fallback-notice.js";
import { positiveIntFlag } from "./flags.js";
import { createProgress } from "./progress.js";

export interface EnsembleFlags {
  config: string;
  out: string;
  workers?: string;
  resume?: boolean;
  backend?: string;
  quiet?: boolean;
  queue?: string;
  batch?: string;
  shard?: string;
  shards?: string;
}

/** --workers: a positive integer, else a UsageError naming the flag. */
export function parseWorkers(text: string | undefined): number | undefined {
  return positiveIntFlag("--workers", text);
}

export interface StudyRunFlags {
  out: string;
  workers?: number;
  resume?: boolean;
  backend?: string;
  quiet?: boolean;
  /** Only this shard of the study (--shard; runner.ts). */
  shard?: { index: number; count: number };
}

/**
 * runStudyFromCli(study, flags) -> EnsembleResult
 *
 * Runs a study as the CLI does (shared by `ensemble` and `start`): backend precedence, a progress bar, Ctrl-C
 * handling (module comment), an unusable output directory as a UsageError naming --out, and the one-line summary on
 * stdout. An interrupted ensemble sets process.exitCode to 130 and says how to continue (`resumeHint`).
 */
export async function runStudyFromCli(
  study: Study,
  flags: StudyRunFlags,
  resumeHint = "continue with --resume",
): Promise<EnsembleResult> {
  const backend = pickBackendName(flags.backend, process.env.WEIGHTDYN_BACKEND, expandGrid(study)[0].config.backend);
  const { runEnsemble } = await import("../ensemble/runner.js");
  noticeWasmFallback(backend);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      process.stderr.write(
        `\nweightdyn: interrupted: letting the running runs finish (Ctrl-C again to stop now); ${resumeHint}\n`,
      );
    } else {
      // Die of the signal itself, as without a handler: process.exit() would first tear down the worker threads,
      // which may be inside a native call (the finished lines are on disk either way).
      process.off("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
    }
  };
  process.on("SIGINT", onSigint);
  const progress = createProgress({ quiet: flags.quiet, unit: "runs" });
  let result: EnsembleResult;
  try {
    result = await runEnsemble(study, {
      outDir: flags.out,
      workers: flags.workers,
      resume: flags.resume,
      backend,
      onProgress: (done, total) => progress.onProgress(done, total),
      signal: controller.signal,
      shard: flags.shard,
    });
  } catch (err) {
    if (err instanceof EnsembleOutputError || err instanceof DirLockedError) {
      throw new UsageError(`--out: ${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
  }
  const done = result.resumed + result.completed;
  const parts = [
    `${done}/${result.total} runs`,
    ...(result.resumed > 0 ? [`${result.resumed} resumed`] : []),
    `${result.completed} run now (${result.diverged} diverged)`,
    `${result.workers} ${result.backend} worker${result.workers === 1 ? "" : "s"}`,
    `${result.wallTimeSeconds.toFixed(1)} s`,
  ];
  const shard = flags.shard ? ` shard ${flags.shard.index}/${flags.shard.count}` : "";
  process.stdout.write(
    `ensemble ${result.studyId}${shard}: ${parts.join(", ")}; results in ${flags.out}/runs.ndjson\n`,
  );
  if (result.interrupted) {
    process.stdout.write(`interrupted: ${result.total - done} runs left; ${resumeHint}\n`);
    process.exitCode = 130;
  }
  return result;
}

async function ensembleAction(flags: EnsembleFlags): Promise<void> {
  const workers = parseWorkers(flags.workers);
  const { shard } = distributedFlags(flags);
  const study = loadStudyFile(flags.config);
  if (flags.queue !== undefined) {
    await runQueueFromCli(study, { ...flags, queue: flags.queue });
    return;
  }
  await runStudyFromCli(study, { ...flags, workers, shard });
}

/**
 * registerEnsembleCommand(program)
 *
 * Adds the `ensemble` command (module comment) to the weightdyn commander program.
 */
export function registerEnsembleCommand(program: Command): Command {
  return program
    .command("ensemble")
    .description("run a study: a grid of configs times initial-condition draws, on worker threads, to DIR/runs.ndjson")
    .requiredOption("-c, --config <file>", "study (JSON); relative paths in it are resolved against its folder")
    .requiredOption("-o, --out <dir>", "output directory (study.json, runs.ndjson)")
    .option("-w, --workers <n>", "worker threads (default: all cores)")
    .option("--resume", "continue the study in --out: run only the runs missing from runs.ndjson")
    .addOption(
      new Option("--backend <name>", "compute backend (overrides WEIGHTDYN_BACKEND and base.backend)").choices(
        BACKEND_CHOICES,
      ),
    )
    .option("-q, --quiet", "no progress display")
    .option("--queue <url>", "queue mode: enqueue on Redis (redis:// or rediss://) and collect; see `weightdyn worker`")
    .option("--batch <n>", "queue mode: runs per job (default: 1, more for studies over 20000 runs)")
    .option(
      "--shard <i/n>",
      "run only shard I of N (index mod N); /N takes I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX",
    )
    .option("--shards <n>", "the same as --shard /N")
    .action(ensembleAction);
}
