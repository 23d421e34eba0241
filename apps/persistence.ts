import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import * as MariaDb from "../adapters/mariadb/client.js"
import * as Redis from "../adapters/redis/client.js"
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
      onSome: (url) => Effect.asSome(Redis.make({ url }))
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
