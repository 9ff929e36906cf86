/**
 * Ensemble throughput (runs per second) with 1 and 2 worker threads on the same study, and their ratio.
 *
 *   node --import tsx bench/ensemble.ts [--seconds 20] [--repeats 2] [--backend auto|native|wasm] [--quick]
 *
 * A short calibration with one worker estimates the time of one run; the study then gets enough runs for about
 * `--seconds` with one worker. The two worker counts alternate (1, 2, 1, 2, ...) so that background load hits both
 * alike; the load average is printed before each measurement, since other work on the machine lowers the ratio.
 * Throughput is counted in steady state: runs finished after the first one of each worker, over the time since it
 * (thread start-up and module loading excluded); the wall time of the whole ensemble is printed as well.
 * --quick: a few runs, for a smoke test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { BackendChoice } from "../src/backend/loader.js";
import { parseStudy, runEnsemble, type Study } from "../src/ensemble/index.js";

/** A 1-6-1 tanh network on sin(pi x): D = 19, the full spectrum with a QR every step, 2000 steps per run. */
const BASE = {
  network: { inputs: 1, hidden: 6, outputs: 1, activation: "tanh" },
  data: { function: "sin", samples: 40, range: [-1, 1] },
  init: { distribution: "uniform", scale: 1 },
  training: { learningRate: 0.1, steps: 2000 },
  lyapunov: { exponents: "all", ftleWindow: 100 },
};

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function study(runs: number): Study {
  return parseStudy({
    base: BASE,
    grid: { "init.scale": [0.5, 1] },
    runs: Math.ceil(runs / 2),
    seed: 1,
    early: [100, 500],
  });
}

interface Measurement {
  workers: number;
  runs: number;
  wallSeconds: number;
  runsPerSecond: number;
  load: number;
}

async function measure(s: Study, workers: number, backend: BackendChoice): Promise<Measurement> {
  const outDir = mkdtempSync(join(tmpdir(), "weightdyn-bench-ensemble-"));
  const load = loadavg()[0];
  const finishTimes: number[] = [];
  const t0 = performance.now();
  try {
    await runEnsemble(s, {
      outDir,
      workers,
      backend,
      onProgress: (_done, _total, record) => {
        if (record) finishTimes.push(performance.now());
      },
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const first = finishTimes[workers - 1];
  const steady = (finishTimes.length - workers) / ((finishTimes[finishTimes.length - 1] - first) / 1000);
  return { workers, runs: finishTimes.length, wallSeconds, runsPerSecond: steady, load };
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const seconds = Number(flag("seconds", quick ? "1" : "20"));
  const repeats = Number(flag("repeats", quick ? "1" : "2"));
  const backend = flag("backend", "auto") as BackendChoice;
  const calibration = await measure(study(quick ? 6 : 20), 1, backend);
  const runs = Math.max(8, Math.round(seconds * calibration.runsPerSecond));
  const s = study(runs);
  process.stdout.write(
    `ensemble throughput: ${runs} runs of a 1-6-1 tanh network (D = 19, k = 19, 2000 steps), backend ${backend}, ` +
      `${(1 / calibration.runsPerSecond).toFixed(3)} s per run (calibration)\n`,
  );
  const rows: Measurement[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const workers of [1, 2]) {
      const m = await measure(s, workers, backend);
      rows.push(m);
      process.stdout.write(
        `  workers ${m.workers}: ${m.runsPerSecond.toFixed(2)} runs/s steady (${m.runs} runs, wall ${m.wallSeconds.toFixed(1)} s, load average before ${m.load.toFixed(2)})\n`,
      );
    }
    const [one, two] = rows.slice(-2);
    process.stdout.write(
      `  ratio (2 workers / 1 worker), repeat ${r + 1}: ${(two.runsPerSecond / one.runsPerSecond).toFixed(2)}\n`,
    );
  }
  const mean = (w: number) => {
    const xs = rows.filter((m) => m.workers === w).map((m) => m.runsPerSecond);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  process.stdout.write(`  mean ratio: ${(mean(2) / mean(1)).toFixed(2)} (target >= 1.7 on 2 idle cores)\n`);
}

await main();
