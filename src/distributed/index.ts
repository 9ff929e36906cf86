/**
 * Distributed ensembles (docs/distributed.md): a queue on Redis (BullMQ) with a coordinator and any number of
 * workers, and shards for batch schedulers with their merge.
 *
 *   parseRedisUrl(text) -> RedisTarget; redactUrl(text)              redis-url.ts
 *   checkRedis(target)                                              connection.ts (fail fast)
 *   runQueue(study, { target, outDir, resume, batch, ... })         coordinator.ts
 *   runWorker({ target, workers, backend, study, ... })             queue-worker.ts
 *   parseShard({ shard, shards }, env) -> { index, count }          shard.ts (runEnsemble's `shard` option runs it)
 *   mergeShards(dirs, { outDir, allowIncomplete })                  merge.ts
 */
export { bullConnection, checkRedis } from "./connection.js";
export { type JobResult, type QueueOptions, type QueueResult, type QueueStatus, runQueue } from "./coordinator.js";
export { DistributedInputError, QueueRunError, RedisConnectionError } from "./errors.js";
export { defaultBatch, jobId, jobRanges, type RunRange } from "./jobs.js";
export { formatRanges, type MergeOptions, type MergeResult, mergeShards } from "./merge.js";
export { runWorker, WORKER_DEFAULTS, type WorkerOptions, type WorkerSummary } from "./queue-worker.js";
export { parseRedisUrl, type RedisTarget, redactSecrets, redactUrl, scrub } from "./redis-url.js";
export { leaseKey, QUEUE_PREFIX, STUDIES_CHANNEL, STUDIES_KEY, specKey } from "./registry.js";
export { inShard, type ParsedShard, parseShard, type Shard, shardSize } from "./shard.js";
export { type QueuedStudy, queuedStudy, restoreStudy } from "./study-spec.js";
