/**
 * `weightdyn doctor [--json]`: which backend runs here and why the other does not, how the native addon was built,
 * what the CPU offers, the versions, and which optional packages are installed (src/diagnose.ts). Exit code 0 when
 * a backend loads, 1 when none does.
 */
import type { Command } from "commander";
import { type Diagnosis, diagnose } from "../diagnose.js";

const yesNo = (b: boolean) => (b ? "yes" : "no");

function nativeLine(d: Diagnosis): string {
  const b = d.native.build;
  if (!b) return "";
  const target = b.portable
    ? "portable (baseline x86-64)"
    : b.marchNative
      ? "-march=native (this machine's CPU)"
      : "the compiler's default target";
  const features = b.targetFeatures.length > 0 ? b.targetFeatures.join(" ") : "none beyond the baseline";
  const eigen = b.eigen ? `Eigen ${b.eigenVersion ?? "(version unknown)"}` : "built-in dense kernels (no Eigen)";
  const threads = b.openmp ? `OpenMP: one run may use ${b.maxThreads ?? "?"} threads` : "no OpenMP: one thread per run";
  return `    build: ${target}; targets ${features}; ${eigen}; ${threads}; ${b.compiler ?? "unknown compiler"}; Node-API ${b.napiVersion}`;
}

/** The text report of a diagnosis. */
export function formatDiagnosis(d: Diagnosis): string {
  const v = d.versions;
  const lines = [
    `weightdyn ${v.weightdyn} (${d.packageRoot})`,
    `Node ${v.node}, Node-API ${v.napi ?? "unknown"}, V8 ${v.v8}, ${v.platform}/${v.arch}`,
    `CPU: ${d.cpu.model}`,
    d.cpu.features
      ? `  features: ${Object.entries(d.cpu.features)
          .map(([f, has]) => `${f} ${yesNo(has)}`)
          .join(", ")}`
      : "  features: unknown on this platform",
    "",
    `backend: auto uses ${d.auto ?? "nothing (no backend loads)"}${d.env ? `; WEIGHTDYN_BACKEND=${d.env}` : ""}`,
  ];
  for (const b of d.backends) {
    lines.push(`  ${b.name}: ${b.loads ? "loads" : `does not load: ${b.reason?.replace(/^\w+: /, "")}`}`);
    if (b.name === "native") {
      const line = nativeLine(d);
      if (line) lines.push(line);
      const s = d.native.install;
      if (s) {
        const portable = s.portable ? `portable requested (${s.portableSource ?? "?"})` : "not portable";
        lines.push(`    install-time build: ${s.result}${s.date ? ` on ${s.date}` : ""}, ${portable}`);
      }
    }
  }
  lines.push("", "optional packages:");
  for (const o of d.optional) {
    const have = o.packages.map((p) => `${p.name} ${p.version ?? "missing"}`).join(", ");
    const all = o.packages.every((p) => p.version !== null);
    lines.push(`  ${o.what}: ${have}${all ? "" : `; to add: ${o.install}`}`);
  }
  return lines.join("\n");
}

export function registerDoctorCommand(program: Command): Command {
  return program
    .command("doctor")
    .description("which backend loads here and why the other does not, how the native addon was built, the versions")
    .option("--json", "the diagnosis as JSON")
    .action((flags: { json?: boolean }) => {
      const d = diagnose();
      process.stdout.write(`${flags.json ? JSON.stringify(d, null, 2) : formatDiagnosis(d)}\n`);
      if (d.auto === null) process.exitCode = 1;
    });
}
