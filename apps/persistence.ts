import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import * as MariaDb from "../adapters/mariadb/client.js"
import * as MariaDbClearings from "../adapters/mariadb/clearing-store.js"
import * as MariaDbEpochs from "../adapters/mariadb/epoch-store.js"
import * as MariaDbInvoices from "../adapters/mariadb/invoice-store.js"
import * as MariaDbLedger from "../adapters/mariadb/ledger-store.js"
import * as MariaDbPackets from "../adapters/mariadb/packet-store.js"
import * as MariaDbSessions from "../adapters/mariadb/session-store.js"
import * as MariaDbTransactions from "../adapters/mariadb/transaction-store.js"
import * as MariaDbVtxos from "../adapters/mariadb/vtxo-store.js"
import * as MemoryClearings from "../adapters/memory/clearing-store.js"
import * as MemoryEpochs from "../adapters/memory/epoch-store.js"
import * as MemoryBus from "../adapters/memory/event-bus.js"
import * as MemoryInvoices from "../adapters/memory/invoice-store.js"
import * as MemoryLock from "../adapters/memory/leader-lock.js"
import * as MemoryLedger from "../adapters/memory/ledger-store.js"
import * as MemoryPackets from "../adapters/memory/packet-store.js"
import * as MemoryRateLimiter from "../adapters/memory/rate-limiter.js"
import * as MemoryReplayGuard from "../adapters/memory/replay-guard.js"
import * as MemorySessions from "../adapters/memory/session-store.js"
import * as MemoryTransactions from "../adapters/memory/transaction-store.js"
import * as MemoryVtxos from "../adapters/memory/vtxo-store.js"
import * as Redis from "../adapters/redis/client.js"
import * as RedisBus from "../adapters/redis/event-bus.js"
import * as RedisLock from "../adapters/redis/leader-lock.js"
import * as RedisRateLimiter from "../adapters/redis/rate-limiter.js"
import * as RedisReplayGuard from "../adapters/redis/replay-guard.js"
import { PersistenceConfig } from "./config.js"
import type { Check } from "./http/readiness.js"

/**
 * What DATABASE_URL and REDIS_URL opened for this process: the SQL pool the
 * MariaDB stores share (schema migrated before anything uses it) and the
 * Redis connection of the guards, bus and job locks. Unset → none, and every
 * port keeps its in-memory adapter.
 */
export class Persistence extends Context.Tag("relaygate/apps/Persistence")<
  Persistence,
  {
    readonly sql: Option.Option<SqlClient.SqlClient>
    readonly redis: Option.Option<Redis.RedisConnection>
  }
>() {}

export const PersistenceLive = Layer.scoped(
  Persistence,
  Effect.gen(function*() {
    const config = yield* PersistenceConfig
    const sql = yield* Option.match(config.databaseUrl, {
      onNone: () => Effect.succeedNone,
      onSome: (url) =>
        Layer.build(MariaDb.layerMigrated(url)).pipe(
          Effect.map((ctx) => Option.some(Context.get(ctx, SqlClient.SqlClient))),
          Effect.tap(() => Effect.logInfo("stores on MariaDB").pipe(Effect.annotateLogs({ database: MariaDb.describeUrl(Redacted.value(url)) })))
        )
    })
    const redis = yield* Option.match(config.redisUrl, {
      onNone: () => Effect.succeedNone,
      onSome: (url) => Effect.asSome(Redis.make({ url, prefix: config.redisKeyPrefix }))
    })
    return { sql, redis }
  })
)

/** `memory` unless DATABASE_URL is set; then `mariadb` on the shared pool. */
export const pickStore = <I, E1, E2>(
  memory: Layer.Layer<I, E1>,
  mariadb: Layer.Layer<I, E2, SqlClient.SqlClient>
): Layer.Layer<I, E1 | E2, Persistence> =>
  Layer.unwrapEffect(
    Effect.map(Persistence, (p): Layer.Layer<I, E1 | E2> =>
      Option.match(p.sql, {
        onNone: () => memory,
        onSome: (sql) => Layer.provide(mariadb, Layer.succeed(SqlClient.SqlClient, sql))
      }))
  )

/** `memory` unless REDIS_URL is set; then the Redis adapter on the shared connection. */
export const pickRedis = <I, E1, E2>(
  memory: Layer.Layer<I, E1>,
  redis: Layer.Layer<I, E2, Redis.RedisClient>
): Layer.Layer<I, E1 | E2, Persistence> =>
  Layer.unwrapEffect(
    Effect.map(Persistence, (p): Layer.Layer<I, E1 | E2> =>
      Option.match(p.redis, {
        onNone: () => memory,
        onSome: (conn) => Layer.provide(redis, Layer.succeed(Redis.RedisClient, conn))
      }))
  )

/** /ready entries for the database and Redis, each `memory` when not configured. */
export const persistenceChecks = Effect.map(Persistence, (p): ReadonlyArray<Check> => [
  Option.match(p.sql, {
    onNone: () => ({ name: "database", adapter: "memory", probe: Effect.void }),
    onSome: (sql) => ({
      name: "database",
      adapter: "mariadb",
      probe: sql`SELECT 1`.pipe(Effect.mapError((e) => ({ message: `MariaDB: ${e.cause instanceof Error ? e.cause.message : e.message}` })))
    })
  }),
  Option.match(p.redis, {
    onNone: () => ({ name: "redis", adapter: "memory", probe: Effect.void }),
    onSome: (conn) => ({
      name: "redis",
      adapter: "redis",
      probe: Effect.tryPromise({ try: () => conn.client.ping(), catch: (e) => ({ message: `Redis: ${e instanceof Error ? e.message : String(e)}` }) })
    })
  })
])

/** Which adapter the stores use, for /ready's labels. */
export const storeAdapter = Effect.map(Persistence, (p) => (Option.isSome(p.sql) ? "mariadb" : "memory"))

/*
 * Each port's adapter, chosen once per process by DATABASE_URL / REDIS_URL.
 * Module layers use these constants (never a memory layer directly), so a
 * store is one instance however many layers need it.
 */
export const SessionStoreLive = pickStore(MemorySessions.layer, MariaDbSessions.layer)
export const EpochStoreLive = pickStore(MemoryEpochs.layer, MariaDbEpochs.layer)
export const LedgerStoreLive = pickStore(MemoryLedger.layer, MariaDbLedger.layer)
export const VtxoStoreLive = pickStore(MemoryVtxos.layer, MariaDbVtxos.layer)
export const TransactionStoreLive = pickStore(MemoryTransactions.layer, MariaDbTransactions.layer)
export const InvoiceStoreLive = pickStore(MemoryInvoices.layer, MariaDbInvoices.layer)
export const PacketStoreLive = pickStore(MemoryPackets.layer, MariaDbPackets.layer)
export const ClearingStoreLive = pickStore(MemoryClearings.layer, MariaDbClearings.layer)

export const RateLimiterLive = pickRedis(MemoryRateLimiter.layer, RedisRateLimiter.layer)
export const ReplayGuardLive = pickRedis(MemoryReplayGuard.layer, RedisReplayGuard.layer)
export const EventBusLive = pickRedis(MemoryBus.layer, RedisBus.layer)
export const LeaderLockLive = pickRedis(MemoryLock.layer, RedisLock.layer())
