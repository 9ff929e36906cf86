/**
 * Queue overhead: throughput of queue mode with 2 local worker processes against the local ensemble with 2 worker
 * threads on the same study, and the queue's cost per run.
 *
 *   node --import tsx bench/queue.ts [--runs 800] [--steps 500] [--batches 1,8] [--repeats 3] [--quick]
 *
 * Starts a private redis-server on a loopback port (test/support/redis-server.ts; Debian's binary) and two
 * `weightdyn worker --workers 1` processes, waits until they are ready, then alternates, for each batch size:
 *   local   runEnsemble(study, { workers: 2 })
 *   queue   runQueue(study, { batch }) here, the two worker processes computing
 * Both are timed in steady state, as bench/ensemble.ts does: from the first result to the last, so that thread
 * and process start-up (and, for the queue, registering the study) are left out; wall times are printed too.
 *   overhead per run (ms) = (t_queue - t_local) / runs      with t = runs / steady runs per second
 * (target: under 5 ms), and its median over the repeats. Latency: a 1-run study through the warm queue, from runQueue's start to the record on disk,
 * minus the run's own compute time (an upper bound on what one job waits for: it includes registering the study
 * and the workers creating their consumer for it). --quick: a small study, one repeat, for a smoke test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { runQueue } from "../src/distributed/coordinator.js";
import { parseRedisUrl } from "../src/distributed/redis-url.js";
import { parseStudy, readRuns, runEnsemble, type Study } from "../src/ensemble/index.js";
import { startRedisServer } from "../test/support/redis-server.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** A 1-3-1 tanh network on sin(pi x), the full spectrum (D = 10), `steps` steps per run (grid: 2 points). */
function study(runs: number, steps: number, seed: number, grid = true): Study {
  return parseStudy({
    base: {
      network: { inputs: 1, hidden: 3, outputs: 1, activation: "tanh" },
      data: { function: "sin", samples: 20 },
      training: { learningRate: 0.1, steps },
      lyapunov: { exponents: "all", ftleWindow: 50 },
    },
    grid: grid ? { "init.scale": [1, 2] } : {},
    runs: grid ? Math.ceil(runs / 2) : runs,
    seed,
    early: [50],
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Timing {
  runs: number;
  wallSeconds: number;
  /** Runs per second from the first result to the last. */
  steady: number;
}

/** Steady throughput from (time, done) samples: runs after the first sample over the time since it. */
function steadyRate(samples: { t: number; done: number }[]): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  return (last.done - first.done) / ((last.t - first.t) / 1000);
}

async function timeLocal(s: Study): Promise<Timing> {
  const outDir = mkdtempSync(join(tmpdir(), "weightdyn-bench-queue-local-"));
  const samples: { t: number; done: number }[] = [];
  const t0 = performance.now();
  try {
    await runEnsemble(s, {
      outDir,
      workers: 2,
      onProgress: (done, _total, record) => {
        if (record) samples.push({ t: performance.now(), done });
      },
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  return { runs: samples.length, wallSeconds: (performance.now() - t0) / 1000, steady: steadyRate(samples.slice(1)) };
}

async function timeQueue(s: Study, url: string, batch: number): Promise<Timing & { computeSeconds: number }> {
  const outDir = mkdtempSync(join(tmpdir(), "weightdyn-bench-queue-"));
  const samples: { t: number; done: number }[] = [];
  const t0 = performance.now();
  let computeSeconds = 0;
  try {
    await runQueue(s, {
      target: parseRedisUrl(url),
      outDir,
      batch,
      onProgress: (status) => {
        if (status.done > (samples.at(-1)?.done ?? 0)) samples.push({ t: performance.now(), done: status.done });
      },
    });
    computeSeconds = readRuns(outDir).runs.reduce((sum, r) => sum + r.wallTimeSeconds, 0);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  return { runs: samples.at(-1)?.done ?? 0, wallSeconds, steady: steadyRate(samples), computeSeconds };
}

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src/cli/main.ts"), "worker", "--queue", url, "--workers", "1"],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, WEIGHTDYN_PROGRESS: "none" } },
  );
  return new Promise((ready, fail) => {
    let text = "";
    child.stderr?.on("data", (c) => {
      text += String(c);
      if (text.includes("waiting for studies")) ready(child);
    });
    child.on("exit", (code) => fail(new Error(`worker exited with ${code}: ${text}`)));
  });
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const runs = Number(flag("runs", quick ? "60" : "800"));
  const steps = Number(flag("steps", "500"));
  const repeats = Number(flag("repeats", quick ? "1" : "3"));
  const batches = flag("batches", quick ? "1" : "1,8")
    .split(",")
    .map(Number);
  const server = await startRedisServer({ password: "bench-password" });
  const workers: ChildProcess[] = [];
  try {
    workers.push(...(await Promise.all([startWorker(server.url), startWorker(server.url)])));
    process.stdout.write(
      `queue overhead: ${runs} runs of a 1-3-1 tanh network (D = 10, ${steps} steps), 2 local worker processes ` +
        `(--workers 1) against the local ensemble with 2 threads; redis-server ${server.port} on 127.0.0.1\n`,
    );
    if (quick) process.stdout.write("  (--quick: a smoke test; the study is too small for the figures to mean much)\n");
    let seed = 1;
    const overheads = new Map<number, number[]>(batches.map((b) => [b, []]));
    for (let r = 0; r < repeats; r++) {
      for (const batch of batches) {
        const s = study(runs, steps, seed++);
        const load = loadavg()[0];
        const local = await timeLocal(s);
        const queue = await timeQueue(s, server.url, batch);
        const tLocal = runs / local.steady;
        const tQueue = runs / queue.steady;
        const perRun = ((tQueue - tLocal) / runs) * 1000;
        overheads.get(batch)?.push(perRun);
        process.stdout.write(
          `  batch ${batch}: local ${local.steady.toFixed(1)} runs/s (wall ${local.wallSeconds.toFixed(2)} s), ` +
            `queue ${queue.steady.toFixed(1)} runs/s (wall ${queue.wallSeconds.toFixed(2)} s), ` +
            `compute ${((queue.computeSeconds / runs) * 1000).toFixed(1)} ms/run: ` +
            `overhead ${perRun.toFixed(2)} ms per run (load average before ${load.toFixed(2)})\n`,
        );
      }
    }
    for (const [batch, values] of overheads) {
      process.stdout.write(
        `  queue overhead per run, batch ${batch}: median ${median(values).toFixed(2)} ms over ${values.length} ` +
          "repeats (target < 5 ms)\n",
      );
    }
    const latencies: number[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const one = study(1, steps, 1000 + i, false);
      const q = await timeQueue(one, server.url, 1);
      latencies.push((q.wallSeconds - q.computeSeconds) * 1000);
    }
    process.stdout.write(
      `  latency of a 1-run study through the warm queue, minus compute: median ${median(latencies).toFixed(1)} ms ` +
        `(min ${Math.min(...latencies).toFixed(1)}, max ${Math.max(...latencies).toFixed(1)})\n`,
    );
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once("exit", r) : r(null)))));
    await server.stop();
  }
}

await main();
