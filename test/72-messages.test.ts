/**
 * What the CLI says about bad input never holds a secret: a Redis password in any URL form (a `/` in it, a query
 * string, a missing slash, inside an unknown option), or more than a short truncated piece of a file a config points
 * to. Cases run `weightdyn` as a user would (a process each), or, where no process is needed, the same steps in this
 * process (the parse of --queue, the checks `run` makes, the CLI's reportError), against a file holding lines that
 * stand for secrets (as /etc/shadow would for root); every byte of output is checked: no line of the file, and no
 * piece of it longer than MAX_QUOTE characters, may appear.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { asCliError } from "../src/cli/ensemble-queue.js";
import { reportError } from "../src/cli/errors.js";
import { preflight } from "../src/cli/preflight.js";
import { loadRunConfigFile } from "../src/config/validate.js";
import { parseRedisUrl, redactSecrets } from "../src/distributed/redis-url.js";
import { runCliAsync } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "weightdyn-72-"));
/** The longest piece of a data file a message may quote. */
const MAX_QUOTE = 12;
const SECRET_LINES = [
  "root:$6$Zk3rT9Qv$hashhashhashhash:19000:0:99999:7:::",
  "daemon:*:19000:0:99999:7:::",
  "svc:s3cr3t-token-AAAA:19000:0:99999:7:::",
];
const SECRET_FILE = join(dir, "shadow");
writeFileSync(SECRET_FILE, `${SECRET_LINES.join("\n")}\n`);
writeFileSync(join(dir, "x.json"), JSON.stringify({ runs: 1, base: { training: { steps: 10 } } }));

/** Every piece of `line` longer than MAX_QUOTE characters that appears in `text`. */
function leakedPieces(text: string, line: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + MAX_QUOTE < line.length; i++) {
    const piece = line.slice(i, i + MAX_QUOTE + 1);
    if (text.includes(piece)) out.push(piece);
  }
  return out;
}

let caseNo = 0;
function configFile(config: unknown, files: Record<string, string> = {}): string {
  const sub = join(dir, `case${caseNo++}`);
  mkdirSync(sub, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  writeFileSync(join(sub, "run.json"), JSON.stringify(config));
  return join(sub, "run.json");
}

/**
 * What the CLI prints for the error `act` throws, in this process: the same steps as the command (the flag's
 * UsageError mapping, then reportError), for the cases that need no process of their own.
 */
function printed(act: () => unknown): { status: number; stdout: string; stderr: string } {
  const out: string[] = [];
  try {
    act();
  } catch (err) {
    return {
      status: reportError(asCliError(err), { write: (t: string) => out.push(t) }, {}),
      stdout: "",
      stderr: out.join(""),
    };
  }
  return { status: 0, stdout: "", stderr: "" };
}

/** The checks `weightdyn run` makes before the engine (src/cli/preflight.ts), on the run config in `path`. */
function runChecks(path: string): void {
  const { config, baseDir } = loadRunConfigFile(path);
  preflight(config, baseDir, join(dirname(path), "out"), "native");
}

// The cases that go through a process run at once.
describe.concurrent("72 a Redis password is never printed, in any URL form", () => {
  const secret = "SECRET-pw-7781";
  const check = (r: { status: number | null; stdout: string; stderr: string }) => {
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^weightdyn: /);
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    expect(`${r.stdout}${r.stderr}`).not.toContain("pa/ss");
  };
  it.each([
    [
      "a slash in the password (CLI)",
      ["ensemble", "--config", "x.json", "--out", "o", "--queue", `redis://:pa/ss-${secret}@host:6379`],
    ],
    ["the URL inside an unknown option (CLI)", ["run", `--queue=redis://:${secret}@host`, "--default", "--out", "o"]],
    ["the URL given as a directory (CLI)", ["predict", `redis://:${secret}@host`]],
  ])(
    "%s",
    async (_title, args) => {
      check(await runCliAsync(args as string[], { cwd: dir, env: { WEIGHTDYN_REDIS_TIMEOUT_MS: "500" } }));
    },
    60_000,
  );
  it.each([
    ["a password in a query string", `redis://host:6379/0?password=${secret}`],
    ["one slash after the scheme", `redis:/:${secret}@host`],
    ["a # in the password", `redis://:p#${secret}@host:6379`],
    ["a bare word with the password", `:${secret}@host`],
  ])("%s (--queue as the commands parse it)", (_title, url) => {
    check(printed(() => parseRedisUrl(url, {})));
  });
  it("a space in the password: a valid URL, shown redacted wherever it is printed", () => {
    const url = `redis://:pa ss${secret}@host:6379`;
    expect(parseRedisUrl(url, {}).display).toBe("redis://:***@host:6379");
    expect(redactSecrets(`--queue ${url}: no answer`)).not.toContain(secret);
  });
});

describe.concurrent("72 a file named as data or weights is quoted at most in a short truncated piece", () => {
  const check = (r: { status: number | null; stdout: string; stderr: string }) => {
    expect(r.status).toBe(2);
    const text = `${r.stdout}${r.stderr}`;
    expect(text).toMatch(/Invalid config: (data\.csv|init\.weights): /);
    for (const line of [...SECRET_LINES, ...SECRET_LINES[0].split(":"), "pw=hunter2"]) {
      if (line.length > 3) expect(leakedPieces(text, line), text).toEqual([]);
    }
    expect(text).not.toContain("hunter2");
  };
  it.each([
    ["data.csv naming the file (its first line is read as the header)", { data: { csv: SECRET_FILE } }],
    ["init.weights naming the file (not JSON)", { init: { weights: SECRET_FILE } }],
  ])(
    "%s (CLI)",
    async (_title, config) => {
      check(await runCliAsync(["run", "--config", configFile(config), "--out", join(dir, "never"), "--quiet"]));
    },
    60_000,
  );
  it.each([
    [
      "data.csv with a secret header and cell",
      { data: { csv: "d.csv" } },
      { "d.csv": `${SECRET_LINES[0]},y\n1,${SECRET_LINES[2]}\n` },
    ],
    [
      "data.csv with too many columns in a secret header",
      { data: { csv: "d.csv" } },
      { "d.csv": `${SECRET_LINES[0].replaceAll(":", ",")}\n` },
    ],
    [
      "init.weights holding a JSON string",
      { init: { weights: "w.json" } },
      { "w.json": JSON.stringify(SECRET_LINES[2]) },
    ],
    [
      "init.weights holding an array with a string",
      { init: { weights: "w.json" } },
      { "w.json": JSON.stringify([SECRET_LINES[1]]) },
    ],
    ["init.weights holding a short line", { init: { weights: "w.json" } }, { "w.json": "pw=hunter2\n" }],
  ])("%s (the checks of run, as printed)", (_title, config, files) => {
    check(printed(() => runChecks(configFile(config, files))));
  });
});
