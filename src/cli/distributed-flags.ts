/**
 * The distributed flags of `weightdyn ensemble` and how they combine (docs/distributed.md):
 *
 *   --queue URL [--batch N]         queue mode: this process enqueues and collects; workers compute
 *   --shard I/N | --shard /N | --shards N     run one shard here (I from SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX)
 *
 * distributedFlags(flags, env) -> { shard }   checks the combination, parses the shard, prints its warning. In
 * queue mode nothing is computed by the coordinator, so --workers and --backend (which belong to `weightdyn worker`)
 * are refused, as is --shard (a queue already spreads the runs); --batch needs --queue.
 */
import type { Shard } from "../distributed/shard.js";
import { parseShard } from "../distributed/shard.js";
import { asCliError } from "./ensemble-queue.js";
import { UsageError } from "./errors.js";

export interface DistributedFlags {
  queue?: string;
  batch?: string;
  shard?: string;
  shards?: string;
  workers?: string;
  backend?: string;
  quiet?: boolean;
}

export function distributedFlags(
  flags: DistributedFlags,
  env: NodeJS.ProcessEnv = process.env,
): { shard: Shard | undefined } {
  if (flags.queue !== undefined) {
    if (flags.workers !== undefined) {
      throw new UsageError("--workers: with --queue the runs are computed by `weightdyn worker --workers N`");
    }
    if (flags.backend !== undefined) {
      throw new UsageError("--backend: with --queue the runs are computed by `weightdyn worker --backend NAME`");
    }
    if (flags.shard !== undefined || flags.shards !== undefined) {
      throw new UsageError("--shard: with --queue the workers share the runs already: give one of --queue, --shard");
    }
    return { shard: undefined };
  }
  if (flags.batch !== undefined) throw new UsageError("--batch: runs per queue job: it needs --queue");
  let parsed: ReturnType<typeof parseShard>;
  try {
    parsed = parseShard(flags, env);
  } catch (err) {
    throw asCliError(err);
  }
  if (parsed === null) return { shard: undefined };
  if (parsed.warning && !flags.quiet) process.stderr.write(`weightdyn: warning: ${parsed.warning}\n`);
  return { shard: { index: parsed.index, count: parsed.count } };
}
