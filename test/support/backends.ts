/**
 * Every numeric suite runs once per available backend, with the backend's name in the test title. A backend that
 * does not load here is reported as a skipped suite with its reason, never passed silently.
 */
import { describe } from "vitest";
import { availableBackends } from "../../src/backend/loader.js";
import type { Backend } from "../../src/backend/types.js";

const { backends, missing } = availableBackends();
const only = process.env.WEIGHTDYN_BACKEND;
const selected = only === "native" || only === "wasm" ? backends.filter((b) => b.name === only) : backends;

export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const backend of selected) describe(`${title} [${backend.name}]`, () => body(backend));
  for (const reason of missing) {
    const name = reason.split(":")[0];
    if (only && only !== "auto" && only !== name) continue;
    describe.skip(`${title} [${name}: not available: ${reason}]`, () => {});
  }
}

export { backends as availableBackendList };

/** The native backend where it loads (else null) and why it does not: for the suites that hold another backend to it. */
export const nativeBackend: Backend | null = backends.find((b) => b.name === "native") ?? null;
export const nativeMissing: string = missing.find((r) => r.startsWith("native")) ?? "";
