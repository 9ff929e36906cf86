/**
 * `weightdyn atlas`: a study of many settings, each an ensemble with its own prediction, and one report across them.
 *
 *   weightdyn atlas --config atlas.json --out DIR [--workers N] [--resume] [--backend NAME] [--quiet]
 *                   [--queue URL [--batch N]] [--shard I/N | --shards N]
 *                   [--split gap|median] [--min-gap DECADES] [--min-share S] [--seed N]
 *
 * The atlas file is a study file (docs/ensemble.md), usually with a `settings` list (a declared design). The runs
 * are computed exactly as `weightdyn ensemble` computes them, locally, on a Redis queue (--queue) or as one shard of a
 * batch array (--shard), into DIR; then, once every run is there, the atlas is analysed (src/atlas/atlas.ts) and
 * DIR/report.md, DIR/atlas.json and DIR/figures/ are written. A shard stops after its runs: merge the shards
 * (`weightdyn merge`) and run `weightdyn atlas --config atlas.json --out MERGED --resume` for the report.
 *
 * Resumable at every stage: with --resume the runs already in DIR are kept, and every setting already analysed with
 * the same runs and options is reused from DIR/atlas/settings/.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { type Command, Option } from "commander";
import { BACKEND_CHOICES } from "../config/schema.js";
import { redactUrl } from "../distributed/redis-url.js";
import { loadStudyFile, type Study } from "../ensemble/study.js";
import { distributedFlags } from "./distributed-flags.js";
import { type EnsembleFlags, parseWorkers, runStudyFromCli } from "./ensemble-command.js";
import { runQueueFromCli } from "./ensemble-queue.js";
import { UsageError } from "./errors.js";
import { addLabellingOptions } from "./flags.js";
import { machine } from "./start-command.js";

interface AtlasFlags extends EnsembleFlags {
  split?: "gap" | "median";
  minGap?: number;
  minShare?: number;
  seed?: number;
}

/** Analyses DIR as an atlas of `study` and writes its report; prints the verdict per window. */
async function report(
  study: Study,
  flags: AtlasFlags,
  run: { backend: string | null; ensembleSeconds: number | null; now: number | null; resumed: number | null },
  started: number,
  load: number,
): Promise<void> {
  const [{ readEnsemble, PredictInputError }, { analyseAtlas, groupByPoint }, { writeAtlasReport }] = await Promise.all(
    [import("../predict/input.js"), import("../atlas/atlas.js"), import("../atlas/report.js")],
  );
  const date = new Date().toISOString();
  let input: ReturnType<typeof readEnsemble>;
  try {
    input = readEnsemble(flags.out);
  } catch (err) {
    if (err instanceof PredictInputError) throw new UsageError(`--out: ${err.message}`, { cause: err });
    throw err;
  }
  const held = (input.study as { studyId?: unknown } | null)?.studyId;
  if (held !== study.id) {
    throw new UsageError(`--out: ${flags.out} holds study ${String(held)}, not this atlas (${study.id})`);
  }
  const result = analyseAtlas(
    input,
    { split: flags.split, minGap: flags.minGap, minShare: flags.minShare, seed: flags.seed },
    {
      onSetting: (done, total, label, reused) => {
        if (!flags.quiet)
          process.stderr.write(`weightdyn: atlas ${done}/${total} ${label}${reused ? " (reused)" : ""}\n`);
      },
    },
  );
  const files = await writeAtlasReport(result, groupByPoint(input), flags.out, {
    // A --queue URL's password never reaches the report.
    command: `weightdyn ${process.argv
      .slice(2)
      .map((a) => a.replace(/rediss?:\/\/\S+/g, (url) => redactUrl(url)))
      .join(" ")}`,
    date,
    machine: machine(),
    backend: run.backend,
    ensembleSeconds: run.ensembleSeconds,
    totalSeconds: (performance.now() - started) / 1000,
    runsNow: run.now,
    runsResumed: run.resumed,
    load,
  });
  const lines = result.summaries.map((s) => {
    const c = s.counts;
    const p = s.pooled;
    const pooled = p
      ? `pooled gain ${p.estimate.toFixed(3)} [${p.ci[0].toFixed(3)}, ${p.ci[1].toFixed(3)}], I^2 ${p.I2.toFixed(0)}%`
      : "";
    return `  e = ${s.window}: gain in ${c.gain}, none in ${c.none}, loss in ${c.worse} of ${c.gain + c.none + c.worse} settings; ${pooled}`;
  });
  if (result.incomplete.length > 0) {
    lines.push(`  ${result.incomplete.length} setting(s) incomplete and left out: run the atlas again with --resume`);
  }
  process.stdout.write(
    `atlas ${result.studyId}: ${result.settings.length} settings\n${lines.join("\n")}\nreport: ${files[0]}\n`,
  );
}

async function atlasAction(flags: AtlasFlags): Promise<void> {
  const started = performance.now();
  const load = loadavg()[0];
  const workers = parseWorkers(flags.workers);
  const { shard } = distributedFlags(flags);
  const study = loadStudyFile(flags.config);
  const hint = "continue with `weightdyn atlas ... --resume`";
  if (flags.queue !== undefined) {
    const queued = await runQueueFromCli(study, { ...flags, queue: flags.queue });
    if (queued.interrupted) return;
    await report(study, flags, { backend: null, ensembleSeconds: null, now: null, resumed: null }, started, load);
    return;
  }
  const ensemble = await runStudyFromCli(study, { ...flags, workers, shard }, hint);
  if (ensemble.interrupted) return;
  if (shard) {
    process.stdout.write(
      `shard ${shard.index}/${shard.count} done; merge the shards (weightdyn merge DIR... --out MERGED), then ` +
        `weightdyn atlas --config ${flags.config} --out MERGED --resume writes the report\n`,
    );
    return;
  }
  await report(
    study,
    flags,
    {
      backend: ensemble.backend,
      ensembleSeconds: ensemble.wallTimeSeconds,
      now: ensemble.completed,
      resumed: ensemble.resumed,
    },
    started,
    load,
  );
}

export function registerAtlasCommand(program: Command): Command {
  const command = program
    .command("atlas")
    .description("run a study of many settings (each an ensemble with its own prediction) and report across them")
    .requiredOption("-c, --config <file>", "the atlas: a study file, usually with a list of settings")
    .requiredOption("-o, --out <dir>", "output directory (study.json, runs.ndjson, atlas/, report.md, atlas.json)")
    .option("-w, --workers <n>", "worker threads (default: all cores)")
    .option("--resume", "continue in --out: keep its runs and the settings already analysed")
    .addOption(new Option("--backend <name>", "compute backend (overrides WEIGHTDYN_BACKEND)").choices(BACKEND_CHOICES))
    .option("-q, --quiet", "no progress display")
    .option("--queue <url>", "queue mode: enqueue on Redis and collect; see `weightdyn worker`")
    .option("--batch <n>", "queue mode: runs per job")
    .option("--shard <i/n>", "run only shard I of N (no report; merge the shards, then --resume on the merge)")
    .option("--shards <n>", "the same as --shard /N");
  return addLabellingOptions(command).action(atlasAction);
}
