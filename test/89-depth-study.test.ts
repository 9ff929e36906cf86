/**
 * Depth in studies (issue 16): a grid over list-valued network.hidden and network.activation expands to networks of
 * different depths, runs through the worker pool, and predict labels its groups by the lists; the id of a study of
 * three-layer networks is the one the engine gave it before depth existed (recorded from commit 2dfc655, so results
 * stored under that id stay valid).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parameterCount } from "../src/backend/layers.js";
import { expandGrid, parseStudy, readRuns, runEnsemble } from "../src/ensemble/index.js";
import { groupNoun, runGroups, valueLabel } from "../src/predict/input.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-89-"));

describe("89 depth in studies", () => {
  // The default study's id is checked against its committed report by test/91.
  it("a three-layer study keeps the id it had before depth (a grid over widths; no committed file records it)", () => {
    const grid = parseStudy(
      {
        base: { network: { hidden: 5, activation: "elu", activationParam: 0.5 }, training: { steps: 200 } },
        grid: { "network.hidden": [3, 6], "network.activation": ["tanh", "leaky-relu"] },
        runs: 3,
        seed: 4,
        early: [50],
      },
      dir,
    );
    expect(grid.id).toBe("76033b8486841b68");
  });

  it("a per-layer activation list in a grid must fit every depth it meets: the error names the grid value", () => {
    const raw = {
      grid: { "network.hidden": [3, [3, 3], [3, 2, 3]], "network.activation": ["tanh", ["relu", "tanh", "sigmoid"]] },
      runs: 2,
    };
    expect(() => parseStudy(raw, dir)).toThrow(
      /grid\["network.activation"\]\[1\]: expected a list of 2 names \(one per hidden layer\) or a single name/,
    );
  });

  it("a grid over depth runs every point with D and k = D of its own network", async () => {
    const study = parseStudy(
      {
        base: {
          network: { activation: "tanh" },
          data: { function: "abs", samples: 12 },
          training: { learningRate: 0.2, steps: 60 },
          lyapunov: { ftleWindow: 20 },
        },
        grid: { "network.hidden": [3, [3, 3], [3, 2, 3]] },
        runs: 2,
        seed: 9,
        early: [20],
      },
      dir,
    );
    const points = expandGrid(study);
    expect(points.map((p) => p.config.network.hidden)).toEqual([3, [3, 3], [3, 2, 3]]);
    const dims = points.map((p) => parameterCount(p.config.network));
    // 1-3-1: 10; 1-3-3-1: 6 + 12 + 4 = 22; 1-3-2-3-1: 6 + 8 + 9 + 4 = 27.
    expect(dims).toEqual([10, 22, 27]);
    const out = join(dir, "depth");
    const result = await runEnsemble(study, { outDir: out, workers: 2 });
    expect(result.completed).toBe(6);
    const { runs } = readRuns(out);
    const byIndex = [...runs].sort((a, b) => a.index - b.index);
    for (const run of byIndex) {
      expect(run.diverged).toBe(false);
      expect(run.early[0].ftle).toHaveLength(dims[run.gridPoint]);
    }
    expect(runGroups(byIndex, "all")).toEqual(["3", "3", "[3,3]", "[3,3]", "[3,2,3]", "[3,2,3]"]);
    expect(valueLabel(["relu", "tanh"])).toBe("[relu,tanh]");
    // The report calls these groups "group"; a grid that varies the activation alone keeps the word "activation".
    expect(groupNoun(byIndex)).toBe("group");
    const byActivation = byIndex.map((r, i) => ({ ...r, params: { "network.activation": i % 2 ? "tanh" : "relu" } }));
    expect(groupNoun(byActivation)).toBe("activation");
    expect(groupNoun(byIndex.map((r) => ({ ...r, params: { "network.activation": "tanh" } })))).toBe("activation");
  }, 60_000);
});
