/**
 * The parts of weightdyn that need packages most users never install: the figures of the prediction report
 * (vega, vega-lite, @resvg/resvg-js: about 30 MB) and queue mode (bullmq, ioredis: about 15 MB). They are optional
 * peer dependencies (package.json peerDependencies + peerDependenciesMeta, where their version ranges live), loaded
 * only when the feature runs; without them the feature fails with a MissingDependencyError naming what to install.
 *
 *   importOptional(feature, load) -> Promise<T>    load() is the feature's own dynamic import()
 *
 * test/97 holds this table and package.json's optional peers together.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageManifest, packageRoot } from "./backend/root.js";

/** Each optional feature, the packages it needs and how messages name it. */
export const OPTIONAL_FEATURES = {
  figures: { packages: ["vega", "vega-lite", "@resvg/resvg-js"], what: "the figures of the prediction report" },
  queue: { packages: ["bullmq", "ioredis"], what: "queue mode (ensemble --queue, worker)" },
} as const;

export type OptionalFeature = keyof typeof OPTIONAL_FEATURES;

/** A feature was used whose optional packages are not installed. The message says what to install. */
export class MissingDependencyError extends Error {
  constructor(
    readonly feature: OptionalFeature,
    readonly missing: string[],
    readonly install: string,
    options?: { cause?: unknown },
  ) {
    const f = OPTIONAL_FEATURES[feature];
    const names = missing.join(", ");
    super(
      `${f.what} need${missing.length === 1 ? "s" : ""} the optional package${missing.length === 1 ? "" : "s"} ${names}, not installed here: ${install}`,
      options,
    );
    this.name = "MissingDependencyError";
  }
}

/** `npm install a@range b@range` for a feature's packages, with the ranges of package.json's peerDependencies. */
export function installCommand(feature: OptionalFeature): string {
  const peers = packageManifest().peerDependencies ?? {};
  const specs = OPTIONAL_FEATURES[feature].packages.map((p) => (peers[p] ? `${p}@${JSON.stringify(peers[p])}` : p));
  return `npm install ${specs.join(" ")}`;
}

/** The package a "cannot find" error is about, if it is one of the feature's. */
function missingPackage(err: unknown, feature: OptionalFeature): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return null;
  const message = err instanceof Error ? err.message : "";
  return (
    OPTIONAL_FEATURES[feature].packages.find((p) => message.includes(`'${p}'`) || message.includes(`"${p}"`)) ?? null
  );
}

/** Runs load() (the feature's dynamic imports); a missing optional package becomes a MissingDependencyError. */
export async function importOptional<T>(feature: OptionalFeature, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const first = missingPackage(err, feature);
    if (first === null) throw err;
    // Name every missing package of the feature at once, not one per attempt.
    const missing = OPTIONAL_FEATURES[feature].packages.filter((p) => installedVersion(p) === null);
    throw new MissingDependencyError(feature, missing.length > 0 ? missing : [first], installCommand(feature), {
      cause: err,
    });
  }
}

/**
 * The version of a package as weightdyn's own imports would find it (node_modules/<name> in the package root or any
 * folder above it, Node's lookup for bare specifiers), or null when it is not installed.
 */
export function installedVersion(name: string): string | null {
  let dir = packageRoot();
  for (;;) {
    const manifest = join(dir, "node_modules", name, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { version?: string }).version ?? "unknown";
      } catch {
        return "unknown";
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
