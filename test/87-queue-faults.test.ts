/**
 * Queue mode under faults, on a real redis-server (test/support/redis-server.ts) with real coordinator and worker
 * processes, as an operator would meet them: Redis frozen (SIGSTOP) for longer than the coordinator's lease and
 * resumed; Redis stopped (20 s, or a minute: RESTART_DOWN_MS) and started again empty; a malformed study spec, a spec naming a local file it
 * did not send, and jobs with ranges beyond their study, all written into Redis by someone else; a database number
 * the server does not have. Each time the study must end with every run written exactly once, the faults must be
 * reported even under --quiet, and no password or file content may appear in any output.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  jobId,
  QUEUE_PREFIX,
  queuedStudy,
  restoreStudy,
  STUDIES_CHANNEL,
  STUDIES_KEY,
  specKey,
} from "../src/distributed/index.js";
import { expandGrid, parseStudy, runTask } from "../src/ensemble/index.js";
import { trainRun } from "../src/run.js";
import { type RunningCli, startCli, waitFor } from "./support/cli.js";
import { type RedisServer, redisServerBinary, startRedisServer } from "./support/redis-server.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-87-"));
const PASSWORD = "fault-Pa55word-93";
const SECRET = "SECRET-LINE-do-not-print-4711";
const secretFile = join(dir, "secret.csv");
writeFileSync(secretFile, `x,y\n${SECRET},1\n`);
/**
 * How long Redis is down in the restart test: 20 s, past the coordinator's 15 s lease, so the lease, the registry
 * and the queue are all gone when it is back; WEIGHTDYN_TEST_REDIS_DOWN_MS=60000 gives the minute (it passes,
 * 2026-11-30), at 40 s more of test time, twice per CI run.
 */
const RESTART_DOWN_MS = Number(process.env.WEIGHTDYN_TEST_REDIS_DOWN_MS ?? 20_000);
/** Longer than the coordinator's lease (15 s). */
const FREEZE_MS = 17_000;
const transcript: string[] = [];

function lines(path: string): number[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as { index: number }).index);
  } catch {
    return [];
  }
}

let studyNo = 0;
/** A study of `runs` draws x 2 activations (about 0.2 s a run), written to a fresh folder. */
function study(runs: number): { path: string; out: string; id: string; total: number } {
  const folder = join(dir, `study${studyNo++}`);
  mkdirSync(folder, { recursive: true });
  const raw = {
    base: {
      network: { inputs: 1, hidden: 4, outputs: 1 },
      data: { function: "sin", samples: 30 },
      training: { learningRate: 0.1, steps: 6000 },
      lyapunov: { exponents: "all", ftleWindow: 100 },
    },
    grid: { "network.activation": ["tanh", "sigmoid"] },
    runs,
    seed: 93 + studyNo,
    early: [100],
  };
  const path = join(folder, "study.json");
  writeFileSync(path, JSON.stringify(raw));
  return { path, out: join(folder, "out"), id: parseStudy(raw, folder).id, total: 2 * runs };
}

const finished = async (c: RunningCli) => {
  const end = await c.exited;
  transcript.push(c.out.stdout, c.out.stderr);
  return end;
};

describe("87 a spec's memory budget is capped by the worker", () => {
  it("a study that raises limits.memoryBudget to 1 TiB is planned against the worker's cap", () => {
    const folder = join(dir, "budget");
    mkdirSync(folder, { recursive: true });
    const raw = { base: { data: { samples: 2e6 }, limits: { memoryBudget: "1TiB" } }, runs: 1 };
    const big = parseStudy(raw, folder);
    const spec = queuedStudy(big, expandGrid(big), 1);
    const { study, points } = restoreStudy(spec, join(folder, "work"), { memoryCap: 2 ** 30 });
    expect(study.id).toBe(big.id);
    expect(points[0].config.limits.memoryBudget).toBe(2 ** 30);
    // What the worker's thread would run: refused by the plan, before anything is allocated.
    expect(() => trainRun(runTask(study, points, 0).config, { backend: "wasm" })).toThrow(
      /Invalid config: [a-zA-Z.]+: this run needs .* above limits\.memoryBudget = 1 GiB/,
    );
  });
});

/** A password-protected redis-server and `weightdyn worker` processes on it, for one test; stop() ends them all. */
async function queueSetup(workerFlags: string[][]): Promise<{
  server: RedisServer;
  workers: RunningCli[];
  stop(): Promise<void>;
}> {
  const server = await startRedisServer({ password: PASSWORD });
  const workers = workerFlags.map((flags) => startCli(["worker", "--queue", server.url, "--workers", "1", ...flags]));
  return {
    server,
    workers,
    async stop() {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGTERM");
      for (const w of workers) await finished(w);
      await server.stop();
    },
  };
}

const describeRedis = redisServerBinary() ? describe.concurrent : describe.skip;

// Three scenarios, each with a server and workers of its own, run at once: most of their time is waiting.
describeRedis("87 queue mode rides out Redis faults and ignores what others write into it", () => {
  afterAll(() => {
    const all = transcript.join("\n");
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(SECRET);
  });

  it("Redis frozen for longer than the lease, then resumed: the coordinator goes on, says so under --quiet; a database number the server lacks is refused at once", async () => {
    const { server, stop } = await queueSetup([[]]);
    try {
      const s = study(20);
      const c = startCli(["ensemble", "--config", s.path, "--out", s.out, "--queue", server.url, "--quiet"]);
      await waitFor("a few runs written", () => lines(join(s.out, "runs.ndjson")).length >= 3, 120_000);
      server.freeze();
      await new Promise((r) => setTimeout(r, FREEZE_MS));
      server.thaw();
      const end = await finished(c);
      expect(end.code, c.out.stderr).toBe(0);
      expect(lines(join(s.out, "runs.ndjson")).sort((a, b) => a - b)).toEqual([...Array(s.total).keys()]);
      expect(c.out.stderr).toMatch(
        /^weightdyn: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ has not answered for \d+ s/m,
      );
      expect(c.out.stderr).toMatch(/^weightdyn: Redis at .* answers again/m);

      const db = study(1);
      const bad = startCli(["ensemble", "--config", db.path, "--out", db.out, "--queue", `${server.url}/99`]);
      const badEnd = await finished(bad);
      expect(badEnd.code).toBe(2);
      expect(bad.out.stderr).toMatch(
        /^weightdyn: --queue: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/99 has no database 99/m,
      );
    } finally {
      await stop();
    }
  }, 240_000);

  it(`Redis stopped for ${RESTART_DOWN_MS / 1000} s and started again empty: the study is registered and enqueued again`, async () => {
    const { server, workers, stop } = await queueSetup([["--quiet"]]);
    try {
      const s = study(20);
      const c = startCli(["ensemble", "--config", s.path, "--out", s.out, "--queue", server.url, "--quiet"]);
      await waitFor("a few runs written", () => lines(join(s.out, "runs.ndjson")).length >= 3, 120_000);
      await server.restart(RESTART_DOWN_MS);
      const end = await finished(c);
      expect(end.code, c.out.stderr).toBe(0);
      expect(lines(join(s.out, "runs.ndjson")).sort((a, b) => a - b)).toEqual([...Array(s.total).keys()]);
      expect(c.out.stderr).toMatch(/^weightdyn: lost the connection to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/m);
      expect(c.out.stderr).toMatch(/^weightdyn: study [0-9a-f]{16} was no longer registered on Redis/m);
      // The quiet worker said so too.
      expect(workers[0].out.stderr).toMatch(/^weightdyn: lost the connection to Redis/m);
    } finally {
      await stop();
    }
  }, 300_000);

  it("a malformed spec, a spec naming a local file, and foreign jobs are logged and skipped; the study completes", async () => {
    const { server, workers, stop } = await queueSetup([[]]);
    const redis = new Redis({ host: "127.0.0.1", port: server.port, password: PASSWORD });
    try {
      // Ids that sort before any real one, so a worker that stops at the first bad spec never reaches the study.
      await redis.set(specKey("0000000000000000"), "{ not json");
      const fileSpec = {
        format: "weightdyn-queued-study/1",
        studyId: "0000000000000001",
        weightdynVersion: "0.1.0",
        study: { base: { data: { csv: secretFile } }, grid: {}, runs: 1, seed: 0, early: [], lossCheckpoints: null },
        files: {},
        totalRuns: 1,
        batch: 1,
      };
      await redis.set(specKey("0000000000000001"), JSON.stringify(fileSpec));
      await redis.sadd(STUDIES_KEY, "0000000000000000", "0000000000000001");
      await redis.publish(STUDIES_CHANNEL, "0000000000000000");
      // Jobs in the study's queue before its coordinator starts, so that the workers meet them first: a range far
      // beyond the study (under a job id of the study's own form), and data that are no range at all.
      const s = study(12);
      const q = new Queue(s.id, {
        connection: { host: "127.0.0.1", port: server.port, password: PASSWORD },
        prefix: QUEUE_PREFIX,
      });
      await q.add("runs", { first: 0, last: 1e9 }, { jobId: jobId(s.id, { first: 0, last: 1e9 }) });
      await q.add("runs", { first: "0; drop" }, { jobId: "foreign" });
      await q.close();
      const c = startCli(["ensemble", "--config", s.path, "--out", s.out, "--queue", server.url]);
      const end = await finished(c);
      expect(end.code, c.out.stderr).toBe(0);
      expect(lines(join(s.out, "runs.ndjson")).sort((a, b) => a - b)).toEqual([...Array(s.total).keys()]);
      const workerText = workers[0].out.stderr;
      expect(workerText).toMatch(/not serving study 0000000000000000: .*malformed/);
      expect(workerText).toMatch(/not serving study 0000000000000001: .*data\.csv.*did not come with the study/);
      expect(workerText).toMatch(/job .* of study [0-9a-f]{16} is not a valid job .*: skipped/);
      expect(c.out.stderr).toMatch(/job .* is not one of study [0-9a-f]{16}'s jobs: removed/);
      // The worker is still there.
      expect(workers[0].child.exitCode).toBeNull();
    } finally {
      redis.disconnect();
      await stop();
    }
  }, 240_000);
});
