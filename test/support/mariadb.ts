import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { MysqlClient } from "@effect/sql-mysql2"
import { Effect, Layer, Redacted } from "effect"
import { afterAll, describe } from "vitest"
import { layer, layerMigrated } from "../../adapters/mariadb/client.js"

/**
 * MariaDB for adapter tests. TEST_DATABASE_URL names a server and an account
 * allowed to create databases (default: root on 127.0.0.1:3306). Each test
 * file gets a database of its own, `relaygate_test_<random>`, migrated from
 * scratch once and dropped after the file's tests; every layer build empties
 * its tables first, so each test starts from an empty store as it would on
 * the in-memory adapter.
 */
export const ADMIN_URL = process.env["TEST_DATABASE_URL"] ?? "mysql://root@127.0.0.1:3306/test"

const adminClient = MysqlClient.make({ url: Redacted.make(ADMIN_URL), maxConnections: 1 }).pipe(Effect.provide(Reactivity.layer))

const admin = (statement: string) => Effect.scoped(Effect.flatMap(adminClient, (sql) => sql.unsafe(statement)))

export const randomDatabaseName = () => `relaygate_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`

export const urlOf = (name: string): string => {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return u.toString()
}

/** Creates an empty database; `dropDatabase` removes it. */
export const createEmptyDatabase = (name: string) =>
  admin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`).pipe(Effect.asVoid)

/** Creates and migrates a database; `dropDatabase` removes it. */
export const createDatabase = (name: string) =>
  createEmptyDatabase(name).pipe(
    Effect.zipRight(Effect.scoped(Layer.build(layerMigrated(Redacted.make(urlOf(name)))))),
    Effect.asVoid
  )

export const dropDatabase = (name: string) => admin(`DROP DATABASE IF EXISTS ${name}`).pipe(Effect.ignoreLogged)

const fileDatabase = randomDatabaseName()
let created: Promise<void> | undefined

const emptyTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = DATABASE() AND table_name <> 'effect_sql_migrations'`
  if (tables.length > 0) yield* sql.unsafe(tables.map((t) => `DELETE FROM \`${t.name}\``).join(";")).unprepared
})

/** SqlClient on this file's database, emptied for the test that builds it; a defect when the server is missing. */
export const testSqlLayer: Layer.Layer<SqlClient.SqlClient> = Layer.unwrapEffect(
  Effect.promise(() => (created ??= Effect.runPromise(createDatabase(fileDatabase)))).pipe(
    Effect.as(Layer.effectDiscard(emptyTables).pipe(Layer.provideMerge(layer(Redacted.make(urlOf(fileDatabase))))))
  )
).pipe(Layer.orDie)

/** Whether the test server answers; checked once per file. */
export const mariadbReachable: Promise<boolean> = Effect.runPromise(
  Effect.scoped(Effect.flatMap(adminClient, (sql) => sql`SELECT 1`)).pipe(
    Effect.as(true),
    Effect.catchAllCause(() => Effect.succeed(false))
  )
)

/**
 * Registers `suite` when MariaDB answers, and drops the file's database after
 * it. Without a server the suite is reported as skipped, except in CI
 * (CI=true), where a missing service is a failure.
 */
export const withMariadb = async (name: string, suite: () => void) => {
  if (await mariadbReachable) {
    afterAll(() => Effect.runPromise(dropDatabase(fileDatabase)))
    return suite()
  }
  if (process.env["CI"] === "true") throw new Error(`MariaDB is not reachable at ${ADMIN_URL} (needed by ${name})`)
  describe.skip(`${name} (MariaDB not reachable at ${ADMIN_URL})`, () => {})
}
