/**
 * What happened to the native addon at install time, read from build/native-status.json (written by
 * scripts/build-native.mjs, the package's install script). npm hides the output of install scripts, so this file is
 * how the loader, `weightdyn doctor` and the CLI's one-time notice learn why there is no addon.
 *
 *   readNativeStatus() -> NativeStatus | null
 *   whyNoAddon()       -> one sentence for a missing build/Release/weightdyn.node
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./root.js";

export interface NativeStatus {
  result: "built" | "failed" | "skipped";
  portable: boolean;
  /** Where the portable switch came from (WEIGHTDYN_PORTABLE, the npm config, or the default). */
  portableSource?: string;
  reason?: string;
  /** The full build output of a failed build, relative to the package root. */
  log?: string;
  date?: string;
  node?: string;
}

/** The addon's path relative to the package root. */
export const ADDON_FILE = join("build", "Release", "weightdyn.node");
const STATUS_FILE = join("build", "native-status.json");

export function readNativeStatus(root: string = packageRoot()): NativeStatus | null {
  try {
    return JSON.parse(readFileSync(join(root, STATUS_FILE), "utf8")) as NativeStatus;
  } catch {
    return null;
  }
}

/** Why build/Release/weightdyn.node is absent, as one sentence with what to do about it. */
export function whyNoAddon(root: string = packageRoot()): string {
  const status = readNativeStatus(root);
  const rebuild = rebuildCommand(root);
  if (status?.result === "failed") {
    const log = join(root, status.log ?? join("build", "native-build.log"));
    return `the install-time build failed: ${status.reason ?? "unknown reason"} (full output: ${log}); after installing a C++ compiler and cmake: ${rebuild}`;
  }
  if (status?.result === "skipped")
    return `the install-time build was skipped (${status.reason}); to build it: ${rebuild}`;
  if (!existsSync(join(root, "build"))) {
    return `the install script never ran (npm --ignore-scripts, or an allowScripts policy); to build it: ${rebuild} (with npm's allowScripts: npm install-scripts approve weightdyn first)`;
  }
  return `no install-time build is recorded; to build it: ${rebuild}`;
}

/** How to build the addon again: in an installed package, and in a clone (which has src/). */
export function rebuildCommand(root: string = packageRoot()): string {
  return existsSync(join(root, "src")) ? "npm run build:native" : "npm rebuild weightdyn";
}
