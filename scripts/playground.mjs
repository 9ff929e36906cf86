#!/usr/bin/env node
/**
 * The browser playground (playground/): build it into a folder any static host can serve, or build it and serve it on
 * a loopback port.
 *
 *   node scripts/playground.mjs build [--out DIR]        (npm run playground:build; default playground/dist)
 *   node scripts/playground.mjs serve [--port N] [--host H] [--out DIR]   (npm run playground; default 127.0.0.1, a free port)
 *
 * The folder: index.html, style.css, main.js and worker.js (ES modules bundled by esbuild for the browser, where a
 * Node built-in anywhere in their module graph fails the build), main.css (uPlot's stylesheet) and weightdyn.wasm (the
 * package's WASM kernels, build-wasm/weightdyn.wasm). The server is node:http serving that folder read-only, with
 * the content types a module worker and WebAssembly.compileStreaming need; it prints its address.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "playground");

/** Builds the playground into `out` (emptied first); returns the bytes of each file written. */
export async function buildPlayground(out = join(source, "dist"), { minify = true } = {}) {
  const wasm = join(root, "build-wasm/weightdyn.wasm");
  if (!existsSync(wasm)) throw new Error(`playground: ${wasm} is missing: run npm run build:wasm first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { main: join(source, "src/main.ts"), worker: join(source, "src/worker.ts") },
    outdir: out,
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify,
    sourcemap: false,
    logLevel: "warning",
    legalComments: "none",
  });
  copyFileSync(join(source, "index.html"), join(out, "index.html"));
  copyFileSync(join(source, "style.css"), join(out, "style.css"));
  copyFileSync(wasm, join(out, "weightdyn.wasm"));
  const sizes = {};
  for (const name of ["index.html", "style.css", "main.js", "main.css", "worker.js", "weightdyn.wasm"]) {
    sizes[name] = statSync(join(out, name)).size;
  }
  return sizes;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
};

/** A read-only static server of `dir` on host:port (port 0: a free one); resolves to the server once listening. */
export function servePlayground(dir, { host = "127.0.0.1", port = 0 } = {}) {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = normalize(join(base, path.endsWith("/") ? `${path}index.html` : path));
    if (!(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok(server));
  });
}

function flag(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command !== "build" && command !== "serve") {
    process.stderr.write(
      "usage: node scripts/playground.mjs build [--out DIR] | serve [--port N] [--host H] [--out DIR]\n",
    );
    process.exit(2);
  }
  const out = resolve(flag(args, "--out", join(source, "dist")));
  const sizes = await buildPlayground(out);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `playground: built ${out} (${Object.entries(sizes)
      .map(([n, s]) => `${n} ${kib(s)}`)
      .join(", ")}; ${kib(total)} in all)\n`,
  );
  if (command === "build") return;
  const port = Number(flag(args, "--port", "0"));
  const host = flag(args, "--host", "127.0.0.1");
  const server = await servePlayground(out, { host, port });
  const { port: bound } = server.address();
  process.stdout.write(
    `playground: serving on http://${host.includes(":") ? `[${host}]` : host}:${bound}/ (Ctrl-C stops)\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`playground: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
