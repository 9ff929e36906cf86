/**
 * Distributed ensembles (src/distributed/): Redis URLs and redaction, shard selection, job ranges; then, on a real
 * redis-server started here on a loopback port with a password (test/support/redis-server.ts): a study through the
 * queue with 2 worker processes equals the local run; a worker SIGKILLed mid-run and a coordinator SIGKILLed and
 * resumed still give every run exactly once; a wrong address, a wrong or missing password and a server that never
 * answers fail fast with a message; rediss:// with a CA file; and the password never appears in any output. Shards
 * 0..N-1 merged equal the local run; merge refuses other studies, missing runs and conflicting duplicates.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkRedis,
  DistributedInputError,
  jobRanges,
  mergeShards,
  parseRedisUrl,
  parseShard,
  QUEUE_PREFIX,
  queuedStudy,
  RedisConnectionError,
  redactUrl,
  shardSize,
} from "../src/distributed/index.js";
import { expandGrid, parseStudy, readRuns, runEnsemble, type Study } from "../src/ensemble/index.js";
import type { RunRecord } from "../src/ensemble/record.js";
import { repoRoot } from "./support/cli.js";
import {
  freePort,
  type RedisServer,
  redisServerBinary,
  redisTlsProblem,
  selfSignedCert,
  startRedisServer,
} from "./support/redis-server.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-92-"));
const PASSWORD = "s3cret-Pa55word";
/** Every byte any child process printed: the password must be in none of it. */
const transcript: string[] = [];

type ResultSet = Map<number, Omit<RunRecord, "wallTimeSeconds">>;

/** Records of DIR/runs.ndjson by index, wall time dropped; a run written twice fails the test. */
function resultSet(outDir: string): ResultSet {
  const { runs, partialLine } = readRuns(outDir);
  expect(partialLine).toBe(false);
  const byIndex: ResultSet = new Map();
  for (const { wallTimeSeconds: _t, ...rest } of runs) {
    expect(byIndex.has(rest.index), `run ${rest.index} written twice`).toBe(false);
    byIndex.set(rest.index, rest);
  }
  return byIndex;
}

interface Cli {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** `weightdyn ...` from the sources (tsx), asynchronously; its output goes to the transcript too. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  // WEIGHTDYN_BACKEND passes through: the children compute on the backend the in-process reference runs use.
  const full: NodeJS.ProcessEnv = { ...process.env, WEIGHTDYN_PROGRESS: "none", ...env };
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot,
    env: full,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c) => {
    out.stdout += String(c);
    transcript.push(String(c));
  });
  child.stderr?.on("data", (c) => {
    out.stderr += String(c);
    transcript.push(String(c));
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, out, exited };
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function lineCount(outDir: string): number {
  try {
    return readFileSync(join(outDir, "runs.ndjson"), "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** Every file under `path`, concatenated. */
function allText(path: string): string {
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

// A 1-3-1 network; CSV data behind a `..` path (embedded and recreated on the workers), a built-in target too.
const studyDir = join(dir, "study");
mkdirSync(join(studyDir, "data"), { recursive: true });
mkdirSync(join(studyDir, "cfg"), { recursive: true });
writeFileSync(
  join(studyDir, "data", "d.csv"),
  `x,y\n${Array.from({ length: 12 }, (_, s) => `${s / 11},${Math.sin(3 * s) / 2}`).join("\n")}\n`,
);
const rawStudy = (steps: number, runs: number, seed: number) => ({
  base: {
    network: { inputs: 1, hidden: 3, outputs: 1, activation: "tanh" },
    data: { function: "sin", samples: 16 },
    training: { learningRate: 0.1, steps },
    lyapunov: { exponents: "all", ftleWindow: 50 },
  },
  grid: { data: [{ csv: "../data/d.csv" }, { function: "sin", samples: 16 }], "init.scale": [1, 2] },
  runs,
  seed,
  early: [50, 100],
});
function writeStudy(name: string, raw: unknown): { path: string; study: Study } {
  const path = join(studyDir, "cfg", name);
  writeFileSync(path, JSON.stringify(raw));
  return { path, study: parseStudy(raw, join(studyDir, "cfg")) };
}
/** 24 short runs: the queue and shard comparisons. */
const small = writeStudy("small.json", rawStudy(300, 6, 21));
let localSmall: ResultSet;

afterAll(() => {
  // Every word any process said, and every file written: no password.
  expect(transcript.join("")).not.toContain(PASSWORD);
  expect(allText(dir)).not.toContain(PASSWORD);
});

beforeAll(async () => {
  const out = join(dir, "local-small");
  await runEnsemble(small.study, { outDir: out, workers: 2 });
  localSmall = resultSet(out);
  expect(localSmall.size).toBe(24);
}, 60_000);

describe("Redis URLs: parsing and redaction", () => {
  it.each([
    ["redis://:pw@host:6380/2", "redis://:***@host:6380/2"],
    ["redis://alice:pw@host", "redis://alice:***@host"],
    ["rediss://pw@host:1", "rediss://***@host:1"],
    ["redis://host:6379", "redis://host:6379"],
    ["not a url :pw@x", "***@x"],
    ["redis://:pa/ss@host:1", "redis://:***@host:1"],
    ["redis://h:1/0?password=pw&db=2", "redis://h:1/0?password=***&db=***"],
  ])("redactUrl(%s)", (text, shown) => {
    expect(redactUrl(text)).toBe(shown);
  });
  it("parses password, user, TLS, db and the WEIGHTDYN_REDIS_PASSWORD fallback; messages never hold the password", () => {
    expect(parseRedisUrl("rediss://bob:p%40ss@127.0.0.1:7000/3", {})).toEqual({
      display: "rediss://bob:***@127.0.0.1:7000/3",
      host: "127.0.0.1",
      port: 7000,
      db: 3,
      username: "bob",
      password: "p@ss",
      tls: true,
    });
    expect(parseRedisUrl("redis://h", { WEIGHTDYN_REDIS_PASSWORD: "envpw" })).toMatchObject({
      password: "envpw",
      display: "redis://:***@h:6379",
      tls: false,
    });
    for (const bad of ["http://:pw@h:1", "redis://:pw@h:1/x", "redis://:pw@h:1?a=b"]) {
      expect(() => parseRedisUrl(bad, {})).toThrow(DistributedInputError);
      expect(() => parseRedisUrl(bad, {})).toThrow(/^--queue: /);
      expect(() => parseRedisUrl(bad, {})).not.toThrow(/pw/);
    }
  });
});

describe("shards and jobs", () => {
  it.each([
    [{ shard: "2/5" }, {}, 2, "--shard"],
    [{ shard: "/4" }, { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1" }, 2, "SLURM_ARRAY_TASK_ID"],
    [{ shards: "4" }, { JOB_COMPLETION_INDEX: "3" }, 3, "JOB_COMPLETION_INDEX"],
    [{ shard: "1/4" }, { JOB_COMPLETION_INDEX: "3" }, 1, "--shard"],
  ])("parseShard(%j, %j) -> index %i from %s", (flags, env, index, source) => {
    expect(parseShard(flags, env)).toMatchObject({ index, source });
  });
  it.each([
    [{ shard: "4/4" }, {}, /shard index 4 is not in 0\.\.3/],
    [{ shard: "/4" }, {}, /no shard index: set SLURM_ARRAY_TASK_ID .* or JOB_COMPLETION_INDEX/],
    [{ shard: "2" }, {}, /expected I\/N or \/N/],
    [{ shards: "0" }, {}, /shard count N >= 1/],
    [{ shard: "1/2", shards: "2" }, {}, /give one/],
  ])("parseShard(%j) refuses with a message", (flags, env, pattern) => {
    expect(() => parseShard(flags, env)).toThrow(pattern);
  });
  it("warns when the Slurm array size is not N; shard sizes add up", () => {
    expect(parseShard({ shard: "/4" }, { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "8" })?.warning).toMatch(
      /8 tasks .* 4 shards/,
    );
    for (const total of [0, 1, 7, 24]) {
      expect([0, 1, 2].reduce((n, i) => n + shardSize({ index: i, count: 3 }, total), 0)).toBe(total);
    }
  });
  it("job ranges: contiguous missing runs inside cells of the batch size", () => {
    expect(jobRanges([0, 1, 2, 3, 4, 5, 6], 1)).toHaveLength(7);
    expect(jobRanges([0, 1, 2, 3, 5, 6, 9], 4)).toEqual([
      { first: 0, last: 3 },
      { first: 5, last: 6 },
      { first: 9, last: 9 },
    ]);
  });
  it("queue mode embeds data files and refuses absolute paths", () => {
    const spec = queuedStudy(small.study, expandGrid(small.study), 1);
    expect(Object.keys(spec.files)).toEqual(["../data/d.csv"]);
    const absolute = parseStudy({ runs: 1, base: { data: { csv: join(studyDir, "data", "d.csv") } } }, studyDir);
    expect(() => queuedStudy(absolute, expandGrid(absolute), 1)).toThrow(/data\.csv is the absolute path/);
  });
});

const redisBinary = redisServerBinary();
const describeRedis = redisBinary ? describe : describe.skip;
if (!redisBinary) {
  describe.skip("queue mode [redis-server not found: install Debian's redis-server (.ci/run does)]", () => {});
}

describeRedis("queue mode on a real redis-server (password-protected, loopback)", () => {
  let server: RedisServer;
  const workers: Cli[] = [];
  const fastStall = ["--lock-duration", "1500", "--stalled-interval", "500"];
  const startWorker = async () => {
    const w = cli(["worker", "--queue", server.url, "--workers", "1", ...fastStall]);
    workers.push(w);
    await waitFor("a worker to be ready", () => /waiting for studies/.test(w.out.stderr));
    return w;
  };

  beforeAll(async () => {
    server = await startRedisServer({ password: PASSWORD });
    await Promise.all([startWorker(), startWorker()]);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    await server?.stop();
  }, 30_000);

  it("a study through the queue with 2 worker processes gives the local result set; 2 studies at once", async () => {
    const out = join(dir, "queue-small");
    // A second study on the same Redis at the same time, with a batch of 3 runs per job: its own queue.
    const other = writeStudy("other-queued.json", { ...rawStudy(200, 3, 24), early: [50] });
    const otherOut = join(dir, "queue-other");
    // One run per job (not the default 8, which leaves this small study 3 jobs that one worker may take alone).
    const c = cli(["ensemble", "--config", small.path, "--out", out, "--queue", server.url, "--batch", "1"], {
      WEIGHTDYN_PROGRESS: "lines",
    });
    const c2 = cli(["ensemble", "--config", other.path, "--out", otherOut, "--queue", server.url, "--batch", "3"]);
    const otherLocal = join(dir, "local-other");
    await runEnsemble(other.study, { outDir: otherLocal, workers: 1 });
    expect(await c.exited).toBe(0);
    expect(await c2.exited).toBe(0);
    expect(c.out.stdout).toMatch(/24\/24 runs, 24 run now .* via redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: 2 workers seen/);
    // Progress: done / total, runs per second, workers.
    expect(c.out.stderr).toMatch(/^weightdyn: 100% \(24\/24\), \d+\.\d runs\/s, workers 2 \(\d live\)$/m);
    expect(resultSet(out)).toEqual(localSmall);
    expect(c2.out.stdout).toMatch(/12\/12 runs, .* 4 jobs of 3 runs/);
    expect(resultSet(otherOut)).toEqual(resultSet(otherLocal));
    // The studies are retired: nothing of them is left in Redis once the workers have let go of them.
    const redis = new Redis({ host: "127.0.0.1", port: server.port, password: PASSWORD });
    await waitFor("the studies' keys to go", async () => (await redis.keys("weightdyn:*")).length === 0);
    redis.disconnect();
  }, 60_000);

  it("an atlas through the queue: the same runs as locally, then its report", async () => {
    // Two settings crossed with the study's grid (4 points), 8 runs each: the atlas's settings travel with the study.
    const raw = { ...rawStudy(200, 8, 23), settings: [{ "network.hidden": 2 }, { "network.hidden": 3 }], early: [40] };
    const atlas = writeStudy("atlas.json", raw);
    const out = join(dir, "queue-atlas");
    const c = cli(["atlas", "--config", atlas.path, "--out", out, "--queue", server.url, "--quiet"]);
    const local = join(dir, "local-atlas");
    await runEnsemble(atlas.study, { outDir: local, workers: 1 });
    expect(await c.exited).toBe(0);
    expect(resultSet(out)).toEqual(resultSet(local));
    expect(c.out.stdout).toMatch(new RegExp(`atlas ${atlas.study.id}: 8 settings`));
    const report = readFileSync(join(out, "report.md"), "utf8");
    expect(report).toMatch(/## Verdict per early window/);
    expect(report).toMatch(/--queue redis:\/\/:\*\*\*@127\.0\.0\.1/); // the command, its password masked
  }, 120_000);

  it("a worker SIGKILLed mid-run, and the coordinator SIGKILLed and resumed: every run exactly once", async () => {
    // 60 runs of about 0.1 s.
    const long = writeStudy("long.json", rawStudy(3000, 15, 22));
    const out = join(dir, "queue-long");
    const args = ["ensemble", "--config", long.path, "--out", out, "--queue", server.url];
    const first = cli(args);
    const [a] = workers;
    const aName = `${hostname()}:${a.child.pid}`;
    const q = new Queue(long.study.id, {
      connection: { host: "127.0.0.1", port: server.port, password: PASSWORD },
      prefix: QUEUE_PREFIX,
    });
    await waitFor("worker A to be running a job", async () =>
      (await q.getJobs(["active"])).some((job) => job.processedBy === aName),
    );
    a.child.kill("SIGKILL");
    await waitFor("the coordinator to report the stalled job", () => /taken again.*stalled/.test(first.out.stderr));
    await waitFor("12 runs written", () => lineCount(out) >= 12);
    first.child.kill("SIGKILL");
    await first.exited;
    const written = lineCount(out);
    expect(written).toBeLessThan(60);
    const again = cli([...args, "--resume"]);
    expect(await again.exited).toBe(0);
    expect(again.out.stdout).toMatch(new RegExp(`60/60 runs, ${written} resumed`));
    await q.close();
    const local = join(dir, "local-long");
    await runEnsemble(long.study, { outDir: local, workers: 2 });
    expect(resultSet(out)).toEqual(resultSet(local));
  }, 90_000);

  it("a wrong address, a wrong or missing password, a silent server: a message within seconds", async () => {
    const closed = await freePort();
    const t0 = Date.now();
    const noServer = cli([
      "ensemble",
      "--config",
      small.path,
      "--out",
      join(dir, "never"),
      "--queue",
      `redis://:${PASSWORD}@127.0.0.1:${closed}`,
    ]);
    const wrongPw = cli(["worker", "--queue", `redis://:wrong-${PASSWORD}@127.0.0.1:${server.port}`]);
    expect(await noServer.exited).toBe(1);
    expect(noServer.out.stderr).toMatch(
      new RegExp(`^weightdyn: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${closed} \\(.*ECONNREFUSED`),
    );
    expect(await wrongPw.exited).toBe(1);
    expect(wrongPw.out.stderr).toMatch(
      /^weightdyn: cannot reach Redis at redis:\/\/:\*\*\*@.* \(authentication failed: WRONGPASS/,
    );
    expect(Date.now() - t0).toBeLessThan(20_000);
    await expect(checkRedis(parseRedisUrl(`redis://127.0.0.1:${server.port}`, {}))).rejects.toThrow(
      /requires a password/,
    );
    // Accepts connections, never answers.
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const t1 = Date.now();
    await expect(checkRedis(parseRedisUrl(`redis://:x@127.0.0.1:${port}`, {}), { timeoutMs: 800 })).rejects.toThrow(
      RedisConnectionError,
    );
    expect(Date.now() - t1).toBeLessThan(3000);
    silent.close();
  }, 60_000);
});

const tlsProblem = redisBinary ? redisTlsProblem(redisBinary) : "redis-server not found";
const describeTls = tlsProblem === null ? describe : describe.skip;
describeTls(`queue mode over TLS (rediss://, WEIGHTDYN_REDIS_CA)${tlsProblem ? ` [${tlsProblem}]` : ""}`, () => {
  it("a study through a TLS redis-server with a self-signed certificate", async (ctx) => {
    const files = selfSignedCert(mkdtempSync(join(dir, "tls-")));
    if (files === null) return ctx.skip("openssl is not installed: no certificate to test with");
    const server = await startRedisServer({ password: PASSWORD, tls: files });
    const env = { WEIGHTDYN_REDIS_CA: files.ca };
    try {
      const tiny = writeStudy("tiny.json", { ...rawStudy(100, 1, 23), early: [50] });
      // Idle for 10 s before it exits: under load the coordinator may take seconds to register the study.
      const w = cli(["worker", "--queue", server.url, "--workers", "1", "--idle-exit", "10"], env);
      const out = join(dir, "queue-tls");
      const c = cli(["ensemble", "--config", tiny.path, "--out", out, "--queue", server.url], env);
      expect(await c.exited).toBe(0);
      expect(c.out.stdout).toMatch(/4\/4 runs, .* via rediss:\/\/:\*\*\*@127\.0\.0\.1/);
      expect(await w.exited).toBe(0);
      // Without the CA the self-signed certificate is refused, with a message.
      await expect(checkRedis(parseRedisUrl(server.url, {}), { env: {} })).rejects.toThrow(
        /^cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(.*certificate/i,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe("shards and merge", () => {
  const shardDirs = [0, 1, 2].map((i) => join(dir, `shard${i}`));
  beforeAll(async () => {
    // Shard 0 by I/N, shard 1 by Slurm (task ids 1..3), shard 2 by a Kubernetes Indexed Job.
    const runs = [
      cli(["ensemble", "--config", small.path, "--out", shardDirs[0], "--workers", "1", "--shard", "0/3"]),
      cli(["ensemble", "--config", small.path, "--out", shardDirs[1], "--workers", "1", "--shard", "/3"], {
        SLURM_ARRAY_TASK_ID: "2",
        SLURM_ARRAY_TASK_MIN: "1",
      }),
      cli(["ensemble", "--config", small.path, "--out", shardDirs[2], "--workers", "1", "--shards", "3"], {
        JOB_COMPLETION_INDEX: "2",
      }),
    ];
    for (const r of runs) expect(await r.exited, r.out.stderr).toBe(0);
  }, 60_000);

  it("shards 0..2 of 3 merged equal the single-machine result", async () => {
    for (const [i, d] of shardDirs.entries()) {
      expect(readRuns(d).header?.shard).toEqual({ index: i, count: 3 });
      expect([...resultSet(d).keys()].every((index) => index % 3 === i)).toBe(true);
    }
    const out = join(dir, "merged");
    const m = cli(["merge", ...shardDirs, "--out", out]);
    expect(await m.exited).toBe(0);
    expect(m.out.stdout).toMatch(/merged study [0-9a-f]{16}: 24\/24 runs from 3 directories \(shards 0, 1, 2 of 3\)/);
    expect(resultSet(out)).toEqual(localSmall);
    expect(readRuns(out).runs.map((r) => r.index)).toEqual([...Array(24).keys()]);
  }, 30_000);

  it("refuses shards of different studies, missing runs and conflicting duplicates; collapses equal ones", async () => {
    const other = writeStudy("other.json", rawStudy(300, 6, 99));
    const otherShard = join(dir, "other-shard1");
    await runEnsemble(other.study, { outDir: otherShard, workers: 1, shard: { index: 1, count: 3 } });
    expect(() => mergeShards([shardDirs[0], otherShard, shardDirs[2]], { outDir: join(dir, "m1") })).toThrow(
      /different studies .*other-shard1: study [0-9a-f]{16}.*refusing to merge/,
    );
    const incomplete = cli(["merge", shardDirs[0], shardDirs[2], "--out", join(dir, "m2")]);
    expect(await incomplete.exited).toBe(2);
    expect(incomplete.out.stderr).toMatch(
      /^weightdyn: merge: 8 of 24 runs are missing: 1, 4, 7, 10, 13, 16, 19, 22 \(shard 1 of 3 not given\); refusing/,
    );
    const copy = join(dir, "shard0-copy");
    cpSync(shardDirs[0], copy, { recursive: true });
    const warnings: string[] = [];
    const equal = mergeShards([...shardDirs, copy], { outDir: join(dir, "m3"), onWarning: (w) => warnings.push(w) });
    expect(equal).toMatchObject({ written: 24, duplicates: 8, missing: 0 });
    expect(warnings.join()).toMatch(/8 runs found twice with equal results: kept once/);
    const tampered = join(dir, "shard0-tampered");
    cpSync(shardDirs[0], tampered, { recursive: true });
    const path = join(tampered, "runs.ndjson");
    const lines = readFileSync(path, "utf8").split("\n");
    const record = JSON.parse(lines[0]);
    record.finalLoss = (record.finalLoss ?? 0) + 1;
    lines[0] = JSON.stringify(record);
    writeFileSync(path, lines.join("\n"));
    expect(() => mergeShards([...shardDirs, tampered], { outDir: join(dir, "m4") })).toThrow(
      new RegExp(`1 run differs between directories: run ${record.index} \\(.*shard0 and .*shard0-tampered\\)`),
    );
    // --allow-incomplete, then a plain resume of the merged directory completes it.
    const partial = join(dir, "m5");
    mergeShards([shardDirs[0], shardDirs[2]], { outDir: partial, allowIncomplete: true });
    await runEnsemble(small.study, { outDir: partial, workers: 1, resume: true });
    expect(resultSet(partial)).toEqual(localSmall);
    // A shard directory does not resume as another shard.
    await expect(
      runEnsemble(small.study, { outDir: shardDirs[0], workers: 1, resume: true, shard: { index: 1, count: 3 } }),
    ).rejects.toThrow(/holds shard 0\/3 of study .* but this is shard 1\/3/);
  }, 30_000);
});
