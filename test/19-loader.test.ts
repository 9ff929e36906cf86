/**
 * Backend selection (issue 4): auto prefers native and falls back to WASM; a forced backend that cannot load fails
 * with every reason collected; WEIGHTDYN_BACKEND is parsed strictly. The branch that runs depends on whether the
 * native addon is built here: CI runs this file both with it and on a compiler-less install without it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BackendUnavailableError, backendFromEnv, loadBackend } from "../src/backend/loader.js";
import { packageRoot } from "../src/backend/root.js";

const addonPath = join(packageRoot(), "build", "Release", "weightdyn.node");
const hasNative = existsSync(addonPath);

describe("19 backend loader", () => {
  const saved = process.env.WEIGHTDYN_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.WEIGHTDYN_BACKEND;
    else process.env.WEIGHTDYN_BACKEND = saved;
  });

  it(`auto picks ${hasNative ? "native (the addon is built)" : "wasm (no native addon here)"}`, () => {
    expect(loadBackend("auto").name).toBe(hasNative ? "native" : "wasm");
  });

  it("wasm can always be forced", () => {
    expect(loadBackend("wasm").name).toBe("wasm");
  });

  it.runIf(hasNative)("native can be forced when the addon is built", () => {
    expect(loadBackend("native").name).toBe("native");
  });

  it.runIf(!hasNative)("forcing native without the addon fails with the reason, naming the backend", () => {
    let error: unknown;
    try {
      loadBackend("native");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const e = error as BackendUnavailableError;
    expect(e.requested).toBe("native");
    expect(e.reasons).toHaveLength(1);
    expect(e.message).toMatch(/the native backend cannot be loaded/);
    expect(e.reasons[0]).toMatch(/^native: .*weightdyn\.node/);
  });

  it("an unknown choice and a bad WEIGHTDYN_BACKEND are errors naming the value", () => {
    expect(() => loadBackend("gpu" as never)).toThrow(/"auto", "native" or "wasm".*"gpu"/);
    process.env.WEIGHTDYN_BACKEND = "cuda";
    expect(() => backendFromEnv()).toThrow(/WEIGHTDYN_BACKEND but received "cuda"/);
    process.env.WEIGHTDYN_BACKEND = "wasm";
    expect(backendFromEnv()).toBe("wasm");
    process.env.WEIGHTDYN_BACKEND = "";
    expect(backendFromEnv()).toBeUndefined();
  });
});
