import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root directory (where package.json is), from src/ (tests) or dist/ (installed) alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("weightdyn: cannot find the package root");
    dir = up;
  }
  return dir;
}

/** The fields of weightdyn's package.json that the code reads. */
export interface PackageManifest {
  version?: string;
  peerDependencies?: Record<string, string>;
}

let manifest: PackageManifest | undefined;

/** weightdyn's own package.json, read once ({} when it cannot be read). */
export function packageManifest(): PackageManifest {
  if (manifest) return manifest;
  try {
    manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as PackageManifest;
  } catch {
    manifest = {};
  }
  return manifest;
}
