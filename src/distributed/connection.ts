/**
 * Connections to Redis: a fail-fast check first, then long-lived clients that ride out short outages.
 *
 *   checkRedis(target, { timeoutMs }) -> Promise<void>       connect + AUTH + PING, or a RedisConnectionError
 *   openRedis(target) -> Redis                              a long-lived ioredis client (our own keys)
 *   bullConnection(target) -> options                       what BullMQ's Queue / Worker / QueueEvents get
 *   watchConnection(emitter, target, notice)                 a throttled notice on every connection error
 *
 * The check uses its own client with a short connect timeout, no retries, no offline queue and an overall deadline,
 * so a wrong address, a wrong password or a server that accepts but never answers ends within `timeoutMs`
 * (default 5 s, WEIGHTDYN_REDIS_TIMEOUT_MS) with
 *   cannot reach Redis at redis://:***@host:port (connect ECONNREFUSED 127.0.0.1:6390)
 * Long-lived clients retry forever with a capped back-off (BullMQ's workers need maxRetriesPerRequest: null); while
 * they do, watchConnection prints `lost the connection to Redis at ...; retrying` at most every 10 s, and
 * watchLatency says when a server that keeps its connections open stops answering (a frozen or overloaded Redis:
 * `Redis at ... has not answered for 5 s`, then `... answers again after 17 s`), so an outage is never a silent
 * hang. These are fault notices (Notice kind "fault"): the CLI prints them even under --quiet.
 *
 * TLS (rediss://): `tls: {}` (the system's CAs), plus the CA file named by WEIGHTDYN_REDIS_CA for servers with a
 * private or self-signed certificate. The password is never part of a message: every reason passes through scrub().
 */
import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { RedisOptions as BullRedisOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { describeSystemError } from "../config/errors.js";
import { DistributedInputError, RedisConnectionError } from "./errors.js";
import { type RedisTarget, scrub } from "./redis-url.js";

const DEFAULT_TIMEOUT_MS = 5000;
const NOTICE_EVERY_MS = 10_000;

/** A line for the operator; kind "fault" (the link to Redis, the lease) is shown even under --quiet. */
export type Notice = (message: string, kind?: "fault") => void;

/** The connect-and-ping deadline: WEIGHTDYN_REDIS_TIMEOUT_MS or 5000. */
export function redisTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.WEIGHTDYN_REDIS_TIMEOUT_MS;
  if (text === undefined || text.trim() === "") return DEFAULT_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new DistributedInputError(
      `WEIGHTDYN_REDIS_TIMEOUT_MS: expected a positive number of milliseconds but received ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/** The TLS options of a rediss:// target: {} or { ca } from WEIGHTDYN_REDIS_CA. */
export function tlsOptions(target: RedisTarget, env: NodeJS.ProcessEnv = process.env): { ca?: Buffer } | undefined {
  if (!target.tls) return undefined;
  const caPath = env.WEIGHTDYN_REDIS_CA;
  if (caPath === undefined || caPath === "") return {};
  try {
    return { ca: readFileSync(caPath) };
  } catch (err) {
    throw new DistributedInputError(`WEIGHTDYN_REDIS_CA: cannot read ${caPath}: ${describeSystemError(err)}`);
  }
}

/** The options every client shares: address, credentials, database, TLS. */
function baseOptions(target: RedisTarget, env: NodeJS.ProcessEnv): RedisOptions {
  const tls = tlsOptions(target, env);
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(tls === undefined ? {} : { tls }),
  };
}

/** Why a connection failed, in words, with the password scrubbed. */
export function describeRedisError(err: unknown, target: RedisTarget): string {
  const message = err instanceof Error ? err.message : String(err);
  let reason = message;
  if (/^NOAUTH\b/.test(message) && target.password === undefined) {
    reason = `the server requires a password: give it in the URL (redis://:PASSWORD@host:port) or in WEIGHTDYN_REDIS_PASSWORD; ${message}`;
  } else if (/^(WRONGPASS|NOAUTH|ERR invalid password|ERR AUTH)/.test(message)) {
    reason = `authentication failed: ${message}`;
  }
  return scrub(reason, target.password);
}

/**
 * checkRedis(target, { timeoutMs, env }) -> Promise<void>
 *
 * Connects, authenticates, sends PING and selects the URL's database; any failure, or no answer within timeoutMs,
 * is a RedisConnectionError (module comment), a missing database a DistributedInputError. The client is closed
 * either way.
 */
export async function checkRedis(
  target: RedisTarget,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? redisTimeoutMs(env);
  const client = new Redis({
    ...baseOptions(target, env),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: unknown = null;
  client.on("error", (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`)), timeoutMs + 250);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        await checkDatabase(client, target);
      })(),
      deadline,
    ]);
  } catch (err) {
    if (err instanceof DistributedInputError) throw err;
    // ioredis rejects connect() with "Connection is closed"; the reason is the last error event.
    const cause = lastError ?? err;
    if (SELECT_REFUSED.test(cause instanceof Error ? cause.message : String(cause))) throw noDatabase(cause, target);
    throw new RedisConnectionError(
      `cannot reach Redis at ${target.display} (${describeRedisError(cause, target)})`,
      // The cause is dropped on purpose: ioredis errors may carry the options (and so the password) with them.
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Options of a long-lived client: reconnects forever with a back-off capped at 5 s. */
export function bullConnection(target: RedisTarget, env: NodeJS.ProcessEnv = process.env): BullRedisOptions {
  return longLived(target, env) as BullRedisOptions;
}

function longLived(target: RedisTarget, env: NodeJS.ProcessEnv): RedisOptions {
  return {
    ...baseOptions(target, env),
    connectTimeout: Math.max(10_000, redisTimeoutMs(env)),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(250 * times, 5000),
  };
}

/** A long-lived ioredis client for weightdyn's own keys (registry, study specs, leases). */
export function openRedis(target: RedisTarget, env: NodeJS.ProcessEnv = process.env): Redis {
  return new Redis(longLived(target, env));
}

/**
 * checkDatabase(client, target) -> Promise<void>
 *
 * SELECT of the URL's database on a connected client: a server without it (`ERR DB index is out of range`; 16
 * databases by default) is a DistributedInputError naming --queue, so a wrong number is refused at once instead of
 * leaving every later command on the wrong database or none.
 */
async function checkDatabase(client: Redis, target: RedisTarget): Promise<void> {
  try {
    await client.select(target.db);
  } catch (err) {
    throw noDatabase(err, target);
  }
}

/** The error of a SELECT the server refused (also when ioredis's own SELECT on connecting failed first). */
function noDatabase(err: unknown, target: RedisTarget): DistributedInputError {
  return new DistributedInputError(
    `--queue: Redis at ${target.display} has no database ${target.db} (${describeRedisError(err, target)}): ` +
      "the number after the host picks one of the server's databases (0 to 15 unless its `databases` setting " +
      "says otherwise)",
  );
}

const SELECT_REFUSED = /DB index is out of range|value is not an integer or out of range/i;

/**
 * watchLatency(redis, target, notice, { afterMs, everyMs }) -> stop()
 *
 * Sends a PING every everyMs (1 s) while none is outstanding; when one has waited afterMs (5 s), says once that Redis
 * does not answer, and when it is answered, that Redis answers again and after how long (fault notices).
 */
export function watchLatency(
  redis: Redis,
  target: RedisTarget,
  notice: Notice,
  options: { afterMs?: number; everyMs?: number } = {},
): () => void {
  const afterMs = options.afterMs ?? 5000;
  let pendingSince: number | null = null;
  let told = false;
  const timer = setInterval(() => {
    const now = Date.now();
    if (pendingSince === null) {
      const since = now;
      pendingSince = since;
      redis.ping().then(
        () => {
          if (told) {
            notice(
              `Redis at ${target.display} answers again after ${Math.round((Date.now() - since) / 1000)} s`,
              "fault",
            );
          }
          told = false;
          pendingSince = null;
        },
        () => {
          pendingSince = null; // a link error: watchConnection reports it
        },
      );
    } else if (!told && now - pendingSince >= afterMs) {
      told = true;
      notice(
        `Redis at ${target.display} has not answered for ${Math.round((now - pendingSince) / 1000)} s: waiting for ` +
          "it (nothing is lost; the work goes on when it answers)",
        "fault",
      );
    }
  }, options.everyMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Errors of the link itself (as opposed to an error a command returned). */
function isLinkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  return /^E[A-Z]+$/.test(code) || /Connection is closed|connect|socket|TLS|certificate/i.test(message);
}

/**
 * watchConnection(emitter, target, notice)
 *
 * Reports the 'error' events of a client (ioredis, or a BullMQ Queue / Worker / QueueEvents) through `notice`, at
 * most once every 10 s: `lost the connection to Redis at <display> (<reason>); retrying` for a broken link, `Redis
 * at <display>: <reason>` for anything else. Without a listener an 'error' event would end the process.
 */
export function watchConnection(emitter: EventEmitter, target: RedisTarget, notice: Notice): void {
  let last = Number.NEGATIVE_INFINITY;
  emitter.on("error", (err: unknown) => {
    const now = Date.now();
    if (now - last < NOTICE_EVERY_MS) return;
    last = now;
    const reason = describeRedisError(err, target);
    notice(
      isLinkError(err)
        ? `lost the connection to Redis at ${target.display} (${reason}); retrying`
        : `Redis at ${target.display}: ${reason}`,
      "fault",
    );
  });
}
