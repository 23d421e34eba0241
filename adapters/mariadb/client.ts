import { SqlClient } from "@effect/sql"
import { MysqlClient } from "@effect/sql-mysql2"
import { Context, Data, Effect, Layer, Redacted } from "effect"
import * as Breaker from "../resilience/breaker.js"
import { migrate } from "./migrations.js"
import { breakerOf } from "./sql.js"

/** The database could not be used at start-up; the message is the one line an operator sees. */
export class DatabaseStartupFailed extends Data.TaggedError("DatabaseStartupFailed")<{ readonly message: string }> {}

/**
 * The URL the pool connects with. mysql2 reads driver options from the query
 * string (JSON values) and ignores pool options when given a URL, so exact
 * BIGINTs are asked for here: every BIGINT/DECIMAL column arrives as a string
 * and the stores turn amounts into bigint themselves.
 */
export const withExactBigints = (url: string): string => {
  const u = new URL(url)
  u.searchParams.set("supportBigNumbers", "true")
  u.searchParams.set("bigNumberStrings", "true")
  return u.toString()
}

/** `mysql://user@host:port/db`: the URL without its password, for messages. */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.username === "" ? "" : `${decodeURIComponent(u.username)}@`}${u.host}${u.pathname}`
  } catch {
    return "an unparsable URL"
  }
}

const reason = (e: unknown): string => {
  const cause = typeof e === "object" && e !== null && "cause" in e ? (e as { cause: unknown }).cause : e
  if (cause instanceof AggregateError && cause.errors.length > 0) return reason(cause.errors[0])
  if (cause instanceof Error && cause.message !== "") return cause.message.split("\n")[0]!
  if (typeof e === "object" && e !== null && "message" in e && typeof e.message === "string") return e.message
  return String(e)
}

/**
 * A pooled client for DATABASE_URL (`mysql://user:pass@host:3306/db`),
 * provided as the generic SqlClient the stores use. Fails with one line when
 * the server cannot be reached or refuses the credentials or database.
 */
export const layer = (url: Redacted.Redacted<string>) =>
  MysqlClient.layer({ url: Redacted.make(withExactBigints(Redacted.value(url))) }).pipe(
    Layer.mapError((e) => new DatabaseStartupFailed({ message: `DATABASE_URL: cannot use ${describeUrl(Redacted.value(url))}: ${reason(e)}` })),
    Layer.tap((context) => Breaker.register(breakerOf(Context.get(context, SqlClient.SqlClient))))
  )

/** `layer` with the schema brought up to date before anything uses it. */
export const layerMigrated = (url: Redacted.Redacted<string>) =>
  Layer.effectDiscard(
    migrate.pipe(
      Effect.tap((applied) =>
        applied.length === 0
          ? Effect.logDebug("database schema is up to date")
          : Effect.logInfo("database migrated").pipe(Effect.annotateLogs({ applied: applied.map(([id, name]) => `${id}_${name}`).join(",") }))
      ),
      Effect.mapError((e) => new DatabaseStartupFailed({ message: `DATABASE_URL: migration failed: ${reason(e)}` }))
    )
  ).pipe(Layer.provideMerge(layer(url)))
