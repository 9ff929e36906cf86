/**
 * diagnose() -> Diagnosis: what `weightdyn doctor` prints. Which backend `auto` picks and why the other does not load
 * (the loader's collected reasons, with the install-time outcome of the native build), how the addon was compiled
 * (Eigen, portable or -march=native, compiler, the CPU extensions it targets), what the CPU offers, the versions,
 * and which optional packages are installed.
 */
import { cpuInfo, TRACKED_FEATURES } from "./backend/cpu.js";
import { availableBackends, whyNotLoaded } from "./backend/loader.js";
import { loadNativeAddon, type NativeBuildInfo } from "./backend/native.js";
import { type NativeStatus, readNativeStatus } from "./backend/native-status.js";
import { packageManifest, packageRoot } from "./backend/root.js";
import type { BackendName } from "./backend/types.js";
import { installCommand, installedVersion, OPTIONAL_FEATURES, type OptionalFeature } from "./optional-deps.js";

export interface BackendDiagnosis {
  name: BackendName;
  loads: boolean;
  /** Why it does not load (the loader's reason), when it does not. */
  reason?: string;
}

export interface Diagnosis {
  versions: { weightdyn: string; node: string; napi: string | null; v8: string; platform: string; arch: string };
  packageRoot: string;
  cpu: { model: string; features: Record<string, boolean> | null };
  /** What `auto` resolves to here (null: nothing loads), and WEIGHTDYN_BACKEND if set. */
  auto: BackendName | null;
  env: string | null;
  backends: BackendDiagnosis[];
  native: {
    /** What the install-time build did (build/native-status.json), null when nothing is recorded. */
    install: NativeStatus | null;
    /** How the loaded addon was compiled, null when it does not load. */
    build: NativeBuildInfo | null;
  };
  optional: {
    feature: OptionalFeature;
    what: string;
    packages: { name: string; version: string | null }[];
    install: string;
  }[];
}

export function diagnose(): Diagnosis {
  const cpu = cpuInfo();
  const backends: BackendDiagnosis[] = (["native", "wasm"] as BackendName[]).map((name) => {
    const reason = whyNotLoaded(name);
    return reason === null ? { name, loads: true } : { name, loads: false, reason };
  });
  const auto = availableBackends().backends[0]?.name ?? null;
  let build: NativeBuildInfo | null = null;
  if (backends[0].loads) build = loadNativeAddon().buildInfo ?? null;
  const optional = (Object.keys(OPTIONAL_FEATURES) as OptionalFeature[]).map((feature) => ({
    feature,
    what: OPTIONAL_FEATURES[feature].what,
    packages: OPTIONAL_FEATURES[feature].packages.map((name) => ({ name, version: installedVersion(name) })),
    install: installCommand(feature),
  }));
  return {
    versions: {
      weightdyn: packageManifest().version ?? "unknown",
      node: process.version,
      napi: process.versions.napi ?? null,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
    },
    packageRoot: packageRoot(),
    cpu: {
      model: cpu.model,
      features: cpu.flags
        ? Object.fromEntries(TRACKED_FEATURES.map((f) => [f, cpu.flags?.includes(f) ?? false]))
        : null,
    },
    auto,
    env: process.env.WEIGHTDYN_BACKEND || null,
    backends,
    native: {
      install: readNativeStatus(),
      build,
    },
    optional,
  };
}
