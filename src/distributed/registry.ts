/**
 * The Redis key layout of queue mode, the registry of active studies, and the coordinator's lease.
 *
 *   weightdyn:studies              SET      ids of the studies being run through the queue (workers serve each)
 *   weightdyn:studies:new          channel  a coordinator publishes a study id here when it registers it
 *   weightdyn:study:<id>           STRING   the study spec as JSON (study-spec.ts): fields, data files, batch
 *   weightdyn:study:<id>:lease     STRING   `host:pid` of the coordinator collecting the study, with a TTL
 *   weightdyn:q:<id>:*             BullMQ   the study's queue (prefix weightdyn:q, queue name = study id); job id
 *                                           `<id>-<first>-<last>` for runs first..last (jobs.ts)
 *
 * One queue per study id: several studies share one Redis without mixing, and a study's runs can only be
 * enqueued once (BullMQ keeps one job per job id). Workers learn of a study from the channel at once and from the
 * set every few seconds (a message published while a worker was reconnecting is not lost for long).
 *
 * The lease makes a study's coordinator unique: results are collected (and removed from Redis) by one process
 * only. It expires `ttlMs` (15 s) after its holder stops renewing it; a coordinator restarted on the same machine
 * takes over at once from a holder whose process is gone. A lease that expired while Redis could not be reached
 * (frozen longer than the time to live, or restarted empty) is taken again by its holder when no one else holds it;
 * only a lease held by another process means another coordinator took over.
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { QueueRunError } from "./errors.js";
import type { QueuedStudy } from "./study-spec.js";

export const QUEUE_PREFIX = "weightdyn:q";
export const STUDIES_KEY = "weightdyn:studies";
export const STUDIES_CHANNEL = "weightdyn:studies:new";
export const specKey = (id: string) => `weightdyn:study:${id}`;
export const leaseKey = (id: string) => `weightdyn:study:${id}:lease`;

/** `host:pid`, how workers and coordinators name themselves. */
export function processName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Stores the spec, then adds the study to the registry and tells the workers. */
export async function registerStudy(redis: Redis, spec: QueuedStudy): Promise<void> {
  await redis.set(specKey(spec.studyId), JSON.stringify(spec));
  await redis.sadd(STUDIES_KEY, spec.studyId);
  await redis.publish(STUDIES_CHANNEL, spec.studyId);
}

/** True when the study's spec is stored and the study is in the registry (a restarted Redis has neither). */
export async function isRegistered(redis: Redis, id: string): Promise<boolean> {
  const [member, spec] = await Promise.all([redis.sismember(STUDIES_KEY, id), redis.exists(specKey(id))]);
  return member === 1 && spec === 1;
}

/** Removes the study from the registry, deletes its spec and tells the workers (the caller obliterates the queue). */
export async function retireStudy(redis: Redis, id: string): Promise<void> {
  await redis.srem(STUDIES_KEY, id);
  await redis.del(specKey(id));
  await redis.publish(STUDIES_CHANNEL, id);
}

// A worker's last script calls on a retired queue may recreate its meta hash after the coordinator obliterated it.
const LEFTOVERS = `if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) == 0 then return redis.call('DEL', KEYS[5], KEYS[6]) end return 0`;

/**
 * Deletes what a worker leaves of a retired study's queue (its meta hash, the stalled-check marker), unless the
 * study is registered again or its queue holds jobs or events.
 */
export async function removeLeftovers(redis: Redis, id: string): Promise<void> {
  const q = `${QUEUE_PREFIX}:${id}`;
  const keys = [specKey(id), `${q}:wait`, `${q}:active`, `${q}:events`, `${q}:meta`, `${q}:stalled-check`];
  await redis.eval(LEFTOVERS, keys.length, ...keys);
}

export async function activeStudies(redis: Redis): Promise<string[]> {
  return (await redis.smembers(STUDIES_KEY)).sort();
}

/** A spec's text as read from Redis, parsed; malformed JSON is a QueueRunError naming the key. */
export function parseSpec(text: string, id: string): QueuedStudy {
  try {
    return JSON.parse(text) as QueuedStudy;
  } catch {
    throw new QueueRunError(`Redis key ${specKey(id)} does not hold a study spec (malformed JSON)`);
  }
}

/** The stored spec of a study, or null when there is none. */
export async function readSpec(redis: Redis, id: string): Promise<QueuedStudy | null> {
  const text = await redis.get(specKey(id));
  return text === null ? null : parseSpec(text, id);
}

// Compare-and-set scripts: only the holder renews or releases its lease.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const TAKE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return 0`;

/** True when `holder` names a process of this machine that no longer exists. */
function deadHere(holder: string): boolean {
  const at = holder.lastIndexOf(":");
  if (at < 0 || holder.slice(0, at) !== hostname()) return false;
  const pid = Number(holder.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Renews the lease of `me`; if it expired, takes it again when free; else says who holds it now. */
async function renewOrRetake(
  redis: Redis,
  key: string,
  me: string,
  ttlMs: number,
): Promise<"renewed" | "retaken" | { holder: string }> {
  if ((await redis.eval(RENEW, 1, key, me, ttlMs)) !== 0) return "renewed";
  if ((await redis.set(key, me, "PX", ttlMs, "NX")) === "OK") return "retaken";
  const holder = await redis.get(key);
  if (holder === null || holder === me) return "renewed"; // free again or ours: the next renewal settles it
  return { holder };
}

/** The lease of one study (module comment). */
export class Lease {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * Lease.acquire(redis, studyId, { ttlMs, onWait }) -> Lease
   *
   * Takes the lease, waiting up to ttlMs + 1 s for another holder's lease to expire (onWait is told once). A holder
   * on this machine whose process is gone is replaced at once. Still held after the wait: a QueueRunError.
   * The lease is renewed every ttlMs / 3 until release(). A renewal that finds the lease gone (it expired during an
   * outage) takes it again if it is free and calls `onRegained`; `onLost(holder)` is called only when another
   * process holds it.
   */
  static async acquire(
    redis: Redis,
    studyId: string,
    options: {
      ttlMs?: number;
      onWait?: (holder: string) => void;
      onLost?: (holder: string) => void;
      onRegained?: () => void;
    } = {},
  ): Promise<Lease> {
    const ttlMs = options.ttlMs ?? 15_000;
    const key = leaseKey(studyId);
    const me = processName();
    const until = Date.now() + ttlMs + 1000;
    let told = false;
    for (;;) {
      if ((await redis.set(key, me, "PX", ttlMs, "NX")) === "OK") break;
      const holder = await redis.get(key);
      if (holder !== null && deadHere(holder) && (await redis.eval(TAKE, 1, key, holder, me, ttlMs)) === "OK") break;
      if (holder === me) break;
      if (Date.now() > until) {
        throw new QueueRunError(
          `study ${studyId} is being collected by another coordinator (${holder}): one coordinator per study; ` +
            "stop that one, or wait for it to finish",
        );
      }
      if (!told && holder !== null) {
        options.onWait?.(holder);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const lease = new Lease(redis, key, me, ttlMs);
    let renewing = false;
    lease.timer = setInterval(
      () => {
        if (renewing) return; // a renewal still waits for Redis (an outage): one at a time
        renewing = true;
        renewOrRetake(redis, key, me, ttlMs)
          .then(
            (outcome) => {
              if (outcome === "retaken") options.onRegained?.();
              else if (outcome !== "renewed") options.onLost?.(outcome.holder);
            },
            () => {}, // a connection error: the next renewal tries again (watchConnection reports it)
          )
          .finally(() => {
            renewing = false;
          });
      },
      Math.max(100, Math.floor(ttlMs / 3)),
    );
    lease.timer.unref();
    return lease;
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis.eval(RELEASE, 1, this.key, this.holder);
  }
}
