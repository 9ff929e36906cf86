/**
 * Packing weightdyn as `npm pack` does and installing the tarball into fresh consumer projects, for test/97.
 *
 *   packTarball(root, dir) -> { tarball, files }   npm pack (prepack builds the .wasm and dist/) in a copy of the
 *                                                  working tree, so the tree's own dist/ and build-wasm/, which other
 *                                                  suites use meanwhile, are never touched
 *   installConsumer(dir, tarball, { args, env }) -> the npm output; a fresh project with the tarball installed
 *   run(cmd, args, { cwd, env }) -> { status, stdout, stderr }   asynchronous, so installs run side by side
 *   cleanEnv(extra) -> process.env without npm_* and WEIGHTDYN_* settings of the calling npm, plus extra
 *
 * Every npm call prefers the local cache (--prefer-offline): what `npm ci` fetched for the repository is what the
 * consumers need, so they install without the network once the cache holds it.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment for child npm and node processes: none of the settings of the npm that runs the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|WEIGHTDYN_|INIT_CWD$|NODE_OPTIONS$|VITEST)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

/** The working tree's files as git sees them (tracked, plus untracked ones it does not ignore); null without git. */
function treeFiles(root: string): string[] | null {
  const res = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  if (res.status !== 0) return null;
  return res.stdout.split("\0").filter((f) => f !== "");
}

export interface Packed {
  tarball: string;
  /** Paths inside the tarball, relative to its package/ folder. */
  files: string[];
  /** How long npm pack took, seconds. */
  seconds: number;
}

/** npm pack in a copy of the working tree (module comment); null when the tree is not a git checkout. */
export async function packTarball(root: string, dir: string): Promise<Packed | null> {
  const files = treeFiles(root);
  if (!files) return null;
  const copy = join(dir, "tree");
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    try {
      copyFileSync(join(root, f), join(copy, f));
    } catch {
      // deleted in the working tree but not yet in the index
    }
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
  const t0 = performance.now();
  const res = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: copy });
  if (res.status !== 0) throw new Error(`npm pack failed:\n${res.stdout}\n${res.stderr}`);
  const [info] = JSON.parse(res.stdout.slice(res.stdout.indexOf("["))) as {
    filename: string;
    files: { path: string }[];
  }[];
  return {
    tarball: join(dir, info.filename),
    files: info.files.map((f) => f.path),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** A fresh project in dir with the tarball (and `extra` packages) installed; throws with npm's output on failure. */
export async function installConsumer(
  dir: string,
  tarball: string,
  options: { extra?: string[]; args?: string[]; env?: Record<string, string> } = {},
): Promise<{ output: string; seconds: number }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true })}\n`,
  );
  const t0 = performance.now();
  const res = await run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      ...(options.args ?? []),
      tarball,
      ...(options.extra ?? []),
    ],
    { cwd: dir, env: cleanEnv(options.env) },
  );
  const output = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) throw new Error(`npm install in ${dir} failed:\n${output}`);
  return { output, seconds: (performance.now() - t0) / 1000 };
}

/** Disk usage of a folder in KiB (du -sk), as a user would measure node_modules. */
export function diskKiB(path: string): number {
  const res = spawnSync("du", ["-sk", path], { encoding: "utf8" });
  return Number.parseInt(res.stdout, 10);
}

/** Installed packages under node_modules (scoped ones counted one by one). */
export function packageCount(nodeModules: string): number {
  let n = 0;
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue;
    n += entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).length : 1;
  }
  return n;
}
