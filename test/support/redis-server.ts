/**
 * A private redis-server for the tests and the queue benchmark: Debian's binary, on a free loopback port, with a
 * password (and TLS when asked), no persistence, stopped by stop(). Nothing here talks to any host but 127.0.0.1.
 *
 *   redisServerBinary() -> path | null                 null when redis-server is not installed (suites skip)
 *   startRedisServer({ password, tls }) -> { port, url, stop, freeze, thaw, restart }
 *                                                      freeze/thaw: SIGSTOP/SIGCONT (a server that hangs: connections
 *                                                      stay open, nothing answers); restart(downMs): stopped, then
 *                                                      after downMs a new empty server on the same port
 *   freePort() -> a port that was free a moment ago (bind 127.0.0.1:0, read it, close)
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface RedisServer {
  port: number;
  /** redis://:password@127.0.0.1:port (rediss:// with TLS). */
  url: string;
  password: string;
  stop(): Promise<void>;
  /** SIGSTOP: the server hangs with its connections open. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** Stops the server (its data are lost: no persistence), waits downMs, starts an empty one on the same port. */
  restart(downMs: number): Promise<void>;
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export function redisServerBinary(): string | null {
  for (const candidate of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync("which", ["redis-server"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : null;
}

/**
 * Null when this redis-server was built with TLS (Debian's is), else why not. Probed with a TLS setup that must
 * fail: a build with TLS complains about the TLS files, one without rejects the directive itself.
 */
export function redisTlsProblem(binary: string): string | null {
  const r = spawnSync(
    binary,
    ["--port", "0", "--bind", "127.0.0.1", "--tls-port", "1", "--tls-cert-file", "/nonexistent"],
    { encoding: "utf8", timeout: 5000 },
  );
  const text = `${r.stdout}${r.stderr}`;
  if (/Bad directive|not compiled|Unrecognized/i.test(text)) return "redis-server was built without TLS";
  return /TLS|tls/.test(text) ? null : `cannot tell whether redis-server supports TLS: ${text.trim().slice(-200)}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made by openssl in `dir`; null without openssl. */
export function selfSignedCert(dir: string): TlsFiles | null {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { encoding: "utf8" },
  );
  return r.status === 0 ? { cert, key, ca: cert } : null;
}

async function waitForPing(port: number, password: string, tls: TlsFiles | undefined, child: ChildProcess) {
  const deadline = Date.now() + 10_000;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const client = new Redis({
      host: "127.0.0.1",
      port,
      password,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      ...(tls ? { tls: { ca: readFileSync(tls.ca) } } : {}),
    });
    client.on("error", () => {});
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") return;
    } catch (err) {
      lastError = err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING: ${String(lastError)}`);
}

export async function startRedisServer(options: { password: string; tls?: TlsFiles }): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (binary === null) throw new Error("redis-server is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "weightdyn-redis-"));
  const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const auth = ["--requirepass", options.password];
  const listen = options.tls
    ? [
        "--port",
        "0",
        "--tls-port",
        String(port),
        "--tls-cert-file",
        options.tls.cert,
        "--tls-key-file",
        options.tls.key,
        "--tls-ca-cert-file",
        options.tls.ca,
        "--tls-auth-clients",
        "no",
      ]
    : ["--port", String(port)];
  const launch = async () => {
    const started = spawn(binary, [...listen, ...common, ...auth], { stdio: "ignore" });
    await waitForPing(port, options.password, options.tls, started);
    return started;
  };
  let child = await launch();
  const halt = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    await exited;
  };
  const scheme = options.tls ? "rediss" : "redis";
  return {
    port,
    password: options.password,
    url: `${scheme}://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    freeze() {
      child.kill("SIGSTOP");
    },
    thaw() {
      child.kill("SIGCONT");
    },
    async restart(downMs: number) {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      child = await launch();
    },
  };
}
