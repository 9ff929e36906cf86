#!/usr/bin/env node
/**
 * The `weightdyn` command (package bin, compiled to dist/cli/main.js). Thin: parse -> library call -> write.
 *
 *   weightdyn run (--config cfg.json | --default) --out DIR [--backend auto|native|wasm] [--threads N] [--quiet]
 *                                         one training run; --default: the embedded DEFAULT_RUN_CONFIG; --threads:
 *                                         of its tangent products and QR (default: the idle cores)
 *   weightdyn ensemble ...                a study (ensemble-command.ts)
 *   weightdyn predict DIR ...             its prediction report (predict-command.ts)
 *   weightdyn start ...                   npm start: the default study and its report (start-command.ts)
 *   weightdyn worker --queue URL ...      compute runs of studies queued on Redis (worker-command.ts)
 *   weightdyn merge DIR... --out DIR      combine the outputs of a study's shards (merge-command.ts)
 *   weightdyn doctor [--json]             which backend loads here and why the other does not (doctor-command.ts)
 *   weightdyn atlas --config F --out DIR  a study of many settings and one report across them (atlas-command.ts)
 *   weightdyn report DIR                  figures and diagnostics of one run's directory (report-command.ts)
 *
 * Everything that can be wrong with the input (config fields, the data CSV, the weights file, flags, the
 * WEIGHTDYN_BACKEND variable, the output directory) is checked before the engine is loaded, and ends with
 * `weightdyn: <message>` on stderr and exit code 2. Other failures exit with 1. WEIGHTDYN_DEBUG=1 adds stacks.
 * `run` locks its output directory and replaces the files of an earlier run there as one set (src/io/run-dir.ts).
 * Backend precedence: --backend > WEIGHTDYN_BACKEND > config.backend > "auto" (backend-choice.ts).
 */
import { Command, Option } from "commander";
import { idleCores } from "../backend/cpu.js";
import { DEFAULT_RUN_CONFIG } from "../config/defaults.js";
import type { RunConfig } from "../config/schema.js";
import { BACKEND_CHOICES } from "../config/schema.js";
import { loadRunConfigFile, parseRunConfig } from "../config/validate.js";
import { redactSecrets } from "../distributed/redis-url.js";
import { weightdynVersion } from "../ensemble/store.js";
import { DirLockedError } from "../io/dir-lock.js";
import { type RunOutputs, writeRunOutputs } from "../io/outputs.js";
import { openRunDir, type RunDir } from "../io/run-dir.js";
import { registerAtlasCommand } from "./atlas-command.js";
import { pickBackendName } from "./backend-choice.js";
import { registerDoctorCommand } from "./doctor-command.js";
import { registerEnsembleCommand } from "./ensemble-command.js";
import { reportError, UsageError } from "./errors.js";
import { noticeWasmFallback } from "./fallback-notice.js";
import { positiveIntFlag } from "./flags.js";
import { registerMergeCommand } from "./merge-command.js";
import { registerPredictCommand } from "./predict-command.js";
import { preflight } from "./preflight.js";
import { createProgress, planNotice } from "./progress.js";
import { formatRunReport } from "./report.js";
import { registerReportCommand } from "./report-command.js";
import { registerStartCommand } from "./start-command.js";
import { registerWorkerCommand } from "./worker-command.js";

/** The engine (src/run.ts), loaded only once the input has been checked. */
type RunModule = typeof import("../run.js");

interface RunFlags {
  out: string;
  backend?: string;
  threads?: string;
  quiet?: boolean;
}

async function loadEngine(): Promise<RunModule> {
  return import("../run.js");
}

/** A second bar for the CLV backward pass (which starts when training is done). */
function clvProgress(quiet: boolean | undefined): (done: number, total: number) => void {
  let bar: ReturnType<typeof createProgress> | null = null;
  return (done, total) => {
    bar ??= createProgress({ quiet });
    bar.onProgress(done, total);
    if (done >= total) bar.stop();
  };
}

/** Locks the output directory (run-dir.ts); another process writing there is a UsageError naming --out. */
function openOut(outDir: string): RunDir {
  try {
    return openRunDir(outDir);
  } catch (err) {
    if (err instanceof DirLockedError) throw new UsageError(`--out: ${err.message}`, { cause: err });
    throw err;
  }
}

async function execute(config: RunConfig, baseDir: string, flags: RunFlags): Promise<void> {
  const backend = pickBackendName(flags.backend, process.env.WEIGHTDYN_BACKEND, config.backend);
  const threads = positiveIntFlag("--threads", flags.threads) ?? idleCores();
  const plan = preflight(config, baseDir, flags.out, backend);
  noticeWasmFallback(backend);
  const notice = flags.quiet ? null : planNotice(plan);
  if (notice) process.stderr.write(`weightdyn: ${notice}\n`);
  const engine = await loadEngine();
  // Everything is written to a staging directory and committed as one set: never a mix of two runs.
  const out = openOut(flags.out);
  try {
    const progress = createProgress({ quiet: flags.quiet });
    const started = performance.now();
    let result: RunOutputs;
    try {
      result = await engine.runTraining(
        { config, baseDir },
        {
          backend,
          threads,
          onProgress: progress.onProgress,
          outDir: out.staging,
          onClvProgress: config.lyapunov.clv ? clvProgress(flags.quiet) : undefined,
        },
      );
    } finally {
      progress.stop();
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const files = writeRunOutputs(out.staging, result);
    out.commit();
    const report = formatRunReport(result, { requestedBackend: backend, wallSeconds, outDir: flags.out, files });
    process.stdout.write(`${report}\n`);
  } finally {
    out.close();
  }
}

function buildProgram(): Command {
  const program = new Command("weightdyn")
    .description("Train a small neural network by gradient descent and measure the Lyapunov exponents of its weights.")
    .version(weightdynVersion())
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`weightdyn: ${redactSecrets(text.replace(/^error: /, ""))}`),
    });
  const backendOption = () =>
    new Option("--backend <name>", "compute backend (overrides WEIGHTDYN_BACKEND and config.backend)").choices(
      BACKEND_CHOICES,
    );

  program
    .command("run")
    .description("run one training: the experiment described by a JSON config file, or the built-in default")
    .addOption(
      new Option(
        "-c, --config <file>",
        "run config (JSON); relative paths in it are resolved against its folder",
      ).conflicts("default"),
    )
    .option("--default", "the built-in default config (a 1-10-1 tanh network on sin(pi x), 5000 steps)")
    .requiredOption("-o, --out <dir>", "output directory (summary.json, loss.csv, ftle.csv)")
    .addOption(backendOption())
    .option(
      "--threads <n>",
      "threads of the run's tangent products and QR (default: the idle cores, all cores minus the load average; small networks use one, WASM uses one; the results are the same for any count)",
    )
    .option("-q, --quiet", "no progress display")
    .action(async (flags: RunFlags & { config?: string; default?: boolean }) => {
      if (flags.default) {
        await execute(parseRunConfig(DEFAULT_RUN_CONFIG), process.cwd(), flags);
        return;
      }
      if (flags.config === undefined) throw new UsageError("run: expected --config <file> or --default");
      const { config, baseDir } = loadRunConfigFile(flags.config);
      await execute(config, baseDir, flags);
    });

  registerEnsembleCommand(program);
  registerPredictCommand(program);
  registerStartCommand(program);
  registerWorkerCommand(program);
  registerMergeCommand(program);
  registerDoctorCommand(program);
  registerAtlasCommand(program);
  registerReportCommand(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

// Output piped into a reader that stops early (`| head`): stop quietly, as Unix tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

// An action may have set an exit code of its own (an interrupted ensemble exits with 130).
const code = await main(process.argv);
if (!process.exitCode) process.exitCode = code;
