/**
 * Output directories are never shared or mixed, tried as a user would: `ensemble --resume` on a directory made with
 * another data.csv is refused (the study id covers the contents of every data and weights file); two `ensemble
 * --resume` processes on one directory (a real second process) give one writer and every run once; a lock left by a
 * SIGKILLed process is taken over; a `run` into a directory that holds an earlier run replaces the whole set, and
 * one killed at the moment its first new file is complete leaves the earlier set whole.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../src/io/npy.js";
import { runCli, runCliAsync, startCli, waitFor } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-73-"));
const SLOW = 180_000;

function lines(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** A study of `runs` draws x 2 data sets (one a CSV file) in a fresh folder; returns the study file's path. */
function studyIn(name: string, runs: number, steps: number): { folder: string; path: string } {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, "d.csv"),
    `x,y\n${Array.from({ length: 12 }, (_, s) => `${s / 11},${(s % 3) / 4}`).join("\n")}\n`,
  );
  const study = {
    base: {
      network: { inputs: 1, hidden: 3, outputs: 1 },
      training: { learningRate: 0.1, steps },
      lyapunov: { exponents: "all", ftleWindow: 50 },
    },
    grid: { data: [{ csv: "d.csv" }, { function: "sin", samples: 12 }] },
    runs,
    early: [50],
  };
  const path = join(folder, "study.json");
  writeFileSync(path, JSON.stringify(study));
  return { folder, path };
}

// Independent directories: the cases run at once (each is mostly processes waiting on each other).
describe.concurrent("73 an ensemble directory holds one study and one writer", () => {
  it(
    "--resume after data.csv changed is refused, naming the file; nothing is appended",
    async () => {
      const { folder, path } = studyIn("changed", 2, 100);
      const out = join(folder, "out");
      expect(
        (await runCliAsync(["ensemble", "--config", path, "--out", out, "--workers", "1", "--quiet"])).status,
      ).toBe(0);
      const before = readFileSync(join(out, "runs.ndjson"), "utf8");
      writeFileSync(join(folder, "d.csv"), "x,y\n0,1\n1,0\n");
      const again = await runCliAsync([
        "ensemble",
        "--config",
        path,
        "--out",
        out,
        "--workers",
        "1",
        "--resume",
        "--quiet",
      ]);
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/^weightdyn: --out: .*data\.csv .*changed.*refusing to mix/m);
      expect(readFileSync(join(out, "runs.ndjson"), "utf8")).toBe(before);
    },
    SLOW,
  );

  it(
    "two --resume processes on one directory: the second is refused while the first writes; every run once",
    async () => {
      const { folder, path } = studyIn("two", 20, 60_000);
      const out = join(folder, "out");
      const args = ["ensemble", "--config", path, "--out", out, "--workers", "1", "--resume", "--quiet"];
      const first = startCli(args);
      await waitFor("the first process to write a run", () => lines(join(out, "runs.ndjson")).length >= 1, 60_000);
      // Held still while the second tries (SIGSTOP), so that the test does not depend on how fast the first runs.
      first.child.kill("SIGSTOP");
      const second = await runCliAsync(args);
      first.child.kill("SIGCONT");
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/^weightdyn: --out: .* is in use by weightdyn \(process \d+ on .*\)/m);
      expect((await first.exited).code).toBe(0);
      const indices = lines(join(out, "runs.ndjson")).map((l) => (JSON.parse(l) as { index: number }).index);
      expect(indices.sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    },
    SLOW,
  );

  it(
    "the lock of a SIGKILLed process is taken over by the next --resume",
    async () => {
      const { folder, path } = studyIn("killed", 20, 3000);
      const out = join(folder, "out");
      const args = ["ensemble", "--config", path, "--out", out, "--workers", "1", "--resume", "--quiet"];
      const first = startCli(args);
      await waitFor("a run to be written", () => lines(join(out, "runs.ndjson")).length >= 1, 60_000);
      first.child.kill("SIGKILL");
      await first.exited;
      expect(readdirSync(out)).toContain(".weightdyn.lock");
      const again = await runCliAsync(args);
      expect(again.status, again.stderr).toBe(0);
      const indices = lines(join(out, "runs.ndjson")).map((l) => (JSON.parse(l) as { index: number }).index);
      expect(indices.sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    },
    SLOW,
  );
});

describe("73 a run directory holds the files of one run", () => {
  const folder = join(dir, "run");
  mkdirSync(folder, { recursive: true });
  const out = join(folder, "out");
  const config = (steps: number, clvTo: number | null) => ({
    network: { inputs: 1, hidden: 2, outputs: 1 },
    data: { function: "abs", samples: 10 },
    training: { learningRate: 0.1, steps },
    lyapunov: {
      exponents: 2,
      ftleWindow: 100,
      ...(clvTo === null ? {} : { clv: { from: 0, to: clvTo, backwardTransient: 100 } }),
    },
  });
  const write = (name: string, steps: number, clvTo: number | null) => {
    const path = join(folder, name);
    writeFileSync(path, JSON.stringify(config(steps, clvTo)));
    return ["run", "--config", path, "--out", out, "--quiet"];
  };
  /** The directory is one run: the summary's steps, loss.csv and (with CLVs) clv.npy agree. */
  const consistent = () => {
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(lines(join(out, "loss.csv")).length).toBe(summary.steps + 2); // header, steps + 1 losses
    const names = readdirSync(out).filter((n) => !n.startsWith("."));
    if (summary.clv) expect(readNpy(join(out, "clv.npy")).shape[0]).toBe(summary.clv.times);
    else expect(names.filter((n) => n.startsWith("clv") || n === "weights.npy")).toEqual([]);
    return summary as { steps: number };
  };

  it(
    "a run over an earlier run's directory replaces the whole set (no CLV file of the earlier run is left)",
    () => {
      expect(runCli(write("a.json", 400, 200)).status).toBe(0);
      expect(consistent().steps).toBe(400);
      expect(runCli(write("b.json", 300, null)).status).toBe(0);
      expect(consistent().steps).toBe(300);
    },
    SLOW,
  );

  it(
    "a run killed just after its first new file is complete leaves the earlier run whole; a second run is refused meanwhile",
    async () => {
      expect(runCli(write("c.json", 400, 200)).status).toBe(0);
      const old = statSync(join(out, "clv.npy")).ino;
      const oldSummary = readFileSync(join(out, "summary.json"), "utf8");
      const args = write("d.json", 1_000_000, 300).filter((a) => a !== "--quiet");
      const long = startCli(args, { env: { WEIGHTDYN_PROGRESS: "lines" } });
      const clvDone = () =>
        readdirSync(out, { recursive: true, withFileTypes: true }).some(
          (e) => e.isFile() && e.name === "clv.npy" && statSync(join(e.parentPath, e.name)).ino !== old,
        );
      await waitFor("the new run to report progress", () => /weightdyn: \d+% /.test(long.out.stderr), 60_000);
      const other = runCli(write("e.json", 100, null));
      expect(other.status).toBe(2);
      expect(other.stderr).toMatch(/^weightdyn: --out: .* is in use by weightdyn/m);
      await waitFor("the new clv.npy", clvDone, 120_000);
      long.child.kill("SIGKILL");
      await long.exited;
      // Either the earlier run whole (killed before the commit) or the new one whole (after it), never a mix.
      const { steps } = consistent();
      if (steps === 400) expect(readFileSync(join(out, "summary.json"), "utf8")).toBe(oldSummary);
      else expect(steps).toBe(1_000_000);
    },
    SLOW,
  );
});
