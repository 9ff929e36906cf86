/**
 * `weightdyn <args>` from the sources (node --import tsx src/cli/main.ts), as a user runs it, for the CLI suites.
 *
 *   runCli(args, { env, cwd, timeoutMs }) -> { status, signal, stdout, stderr }     waits for the exit
 *   runCliAsync(args, { env, cwd }) -> Promise of the same                          for concurrent cases
 *   startCli(args, { env, cwd }) -> { child, out, exited }                          runs alongside the test
 *   runCliWatched(args, { maxRssBytes, timeoutMs }) -> the same, and its peak memory (killed past the bound)
 *
 * The child gets the test's environment without WEIGHTDYN_DEBUG and WEIGHTDYN_PROGRESS (so messages look as a
 * user sees them), plus `env`. WEIGHTDYN_BACKEND passes through: the child computes on the backend the test asked for.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const main = join(repoRoot, "src/cli/main.ts");
/** tsx's loader by its path, so that the child may run in any directory. */
const tsx = pathToFileURL(join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;

function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["WEIGHTDYN_DEBUG", "WEIGHTDYN_PROGRESS"]) delete out[name];
  return { ...out, ...env };
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, ["--import", tsx, main, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: childEnv(options.env ?? {}),
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningCli {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", tsx, main, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: childEnv(options.env ?? {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c) => {
    out.stdout += String(c);
  });
  child.stderr?.on("data", (c) => {
    out.stderr += String(c);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  return { child, out, exited };
}

/** runCli without blocking: for cases that run at once (describe.concurrent), each in its own process. */
export async function runCliAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  const run = startCli(args, options);
  const { code, signal } = await run.exited;
  return { status: code, signal, stdout: run.out.stdout, stderr: run.out.stderr };
}

/** Polls `test` every 25 ms until it holds; throws naming `what` after timeoutMs. */
export async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resident memory of a process in bytes (Linux /proc), or null when it cannot be read. */
export function residentBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `weightdyn <args>` and watches its resident memory every 50 ms: it is killed (SIGKILL) once it passes
 * `maxRssBytes` or runs longer than `timeoutMs`, so a run that allocates without a plan cannot take the machine.
 */
export async function runCliWatched(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; maxRssBytes: number; timeoutMs: number },
): Promise<CliResult & { peakRss: number; killedFor: "memory" | "time" | null }> {
  const run = startCli(args, { env: options.env });
  let peakRss = 0;
  let killedFor: "memory" | "time" | null = null;
  const started = Date.now();
  const timer = setInterval(() => {
    const rss = run.child.pid === undefined ? null : residentBytes(run.child.pid);
    if (rss !== null) peakRss = Math.max(peakRss, rss);
    if (killedFor === null && (peakRss > options.maxRssBytes || Date.now() - started > options.timeoutMs)) {
      killedFor = peakRss > options.maxRssBytes ? "memory" : "time";
      run.child.kill("SIGKILL");
    }
  }, 50);
  const { code, signal } = await run.exited;
  clearInterval(timer);
  return { status: code, signal, stdout: run.out.stdout, stderr: run.out.stderr, peakRss, killedFor };
}
