/**
 * Small faults, through the CLI as a user meets them: a run that diverges at once (learning rate 1e300) must not be
 * reported with a final loss that summary.json does not have; a config error through the CLI, and reportError given
 * a message that already starts with `weightdyn: ` (as the kernels' guards write them), print one such prefix; `predict` must not take a negative final loss (no loss C = 1/(2N) sum r^2 is negative) for a
 * divergence without a word, nor let a second line with a known run index (another result) replace the real run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reportError } from "../src/cli/errors.js";
import { readEnsemble } from "../src/predict/input.js";
import { runCliAsync } from "./support/cli.js";
import { writeFixture } from "./support/predict-fixture.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-74-"));
const SLOW = 120_000;

describe.concurrent("74 run: what the CLI says agrees with summary.json", () => {
  it(
    "learning rate 1e300: no final loss is printed when summary.json has none",
    async () => {
      const config = join(dir, "lr.json");
      writeFileSync(config, JSON.stringify({ training: { learningRate: 1e300, steps: 100 } }));
      const out = join(dir, "lr");
      const r = await runCliAsync(["run", "--config", config, "--out", out, "--quiet"]);
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      expect(summary.diverged).toBe(true);
      expect(summary.finalLoss).toBeNull();
      expect(r.stdout).not.toMatch(/final loss -?\d/);
      expect(r.stdout).toMatch(/no finite final loss \(diverged at step 1\)/);
    },
    SLOW,
  );

  it(
    "a config error through the CLI, and reportError on a message that already has the prefix, print one prefix",
    async () => {
      const config = join(dir, "wide.json");
      writeFileSync(config, JSON.stringify({ network: { hidden: 2_000_000 } }));
      const r = await runCliAsync(["run", "--config", config, "--out", join(dir, "wide"), "--quiet"]);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toContain("weightdyn: weightdyn:");
      expect(r.stderr).toMatch(/^weightdyn: Invalid config: network\.hidden: expected at most 1048576/);
      const lines: string[] = [];
      reportError(new RangeError("weightdyn: expected w to have 13 elements"), { write: (t) => lines.push(t) }, {});
      expect(lines.join("")).toBe("weightdyn: expected w to have 13 elements\n");
    },
    SLOW,
  );
});

describe.concurrent("74 predict: a record that cannot be a run is refused, naming its line", () => {
  const fixture = (name: string, edit: (lines: string[]) => string[]) => {
    const d = join(dir, name);
    writeFixture(d, { perGroup: 30, partialLine: false });
    const path = join(d, "runs.ndjson");
    const lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    writeFileSync(path, `${edit(lines).join("\n")}\n`);
    return d;
  };
  const withLoss = (line: string, finalLoss: number) => JSON.stringify({ ...JSON.parse(line), finalLoss });

  it(
    "a negative final loss (CLI)",
    async () => {
      const d = fixture("negative", (lines) => lines.map((l, i) => (i === 4 ? withLoss(l, -0.25) : l)));
      const r = await runCliAsync(["predict", d]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^weightdyn: .*runs\.ndjson:5: finalLoss: expected a number >= 0 .* but received -0\.25/m,
      );
    },
    SLOW,
  );

  it.each(["before", "after"])("a second line for a known run index with another result, %s the real one", (where) => {
    const d = fixture(`duplicate-${where}`, (lines) => {
      const bogus = withLoss(lines[3], 1e-9);
      return where === "before" ? [bogus, ...lines] : [...lines, bogus];
    });
    // What predict reads first (src/predict/input.ts), as the command calls it.
    expect(() => readEnsemble(d)).toThrow(/runs\.ndjson:\d+ and :\d+ hold different results for run 3: refusing/);
  });

  it("an exact copy of a line is still read once", () => {
    const d = fixture("copy", (lines) => [...lines, lines[3]]);
    const input = readEnsemble(d);
    expect(input.runs).toHaveLength(60);
    expect(input.lines.duplicates).toBe(1);
  });
});
