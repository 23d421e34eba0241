import { SqlClient, type Statement } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Option, ParseResult, Schedule, Schema, Scope } from "effect"
import { StoreUnavailable } from "../../core/shared/errors.js"
import * as Breaker from "../resilience/breaker.js"

/*
 * Helpers shared by the SQL stores. They are written against the generic
 * SqlClient; only MariaDB/MySQL error numbers are interpreted here.
 */

/** The server's error number, found through the chain of causes (StoreUnavailable → SqlError → driver error). */
const errno = (e: unknown, depth = 0): number | undefined => {
  if (typeof e !== "object" || e === null || depth > 4) return undefined
  if ("errno" in e && typeof e.errno === "number") return e.errno
  return "cause" in e ? errno(e.cause, depth + 1) : undefined
}

/** ER_DUP_ENTRY: a unique key already holds the value. */
export const isDuplicateKey = (e: unknown): boolean => errno(e) === 1062

/** ER_LOCK_DEADLOCK / ER_LOCK_WAIT_TIMEOUT: the transaction was rolled back and may simply be run again. */
const isRetryable = (e: unknown): boolean => errno(e) === 1213 || errno(e) === 1205

const BEGIN_READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; BEGIN"

/**
 * `withTransaction` at READ COMMITTED. The stores never rely on snapshots or
 * gap locks: every decision reads the rows it locked (`FOR UPDATE`), and
 * locked reads see the latest commit anyway. REPEATABLE READ (MariaDB's
 * default) would add next-key locks on every scanned index range, and those
 * deadlock concurrent assignments whose updates move entries in the same
 * index; READ COMMITTED takes record locks only.
 */
const readCommitted = (sql: SqlClient.SqlClient) =>
  SqlClient.makeWithTransaction({
    transactionTag: SqlClient.TransactionConnection,
    spanAttributes: [],
    acquireConnection: Effect.flatMap(Scope.make(), (scope) =>
      Effect.map(Scope.extend(sql.reserve, scope), (conn) => [scope, conn] as const)),
    begin: (conn) =>
      conn.executeUnprepared(
        sql.onDialectOrElse({ mysql: () => BEGIN_READ_COMMITTED, orElse: () => "BEGIN" }),
        [],
        undefined
      ),
    savepoint: (conn, id) => conn.executeUnprepared(`SAVEPOINT effect_sql_${id}`, [], undefined),
    commit: (conn) => conn.executeUnprepared("COMMIT", [], undefined),
    rollback: (conn) => conn.executeUnprepared("ROLLBACK", [], undefined),
    rollbackSavepoint: (conn, id) => conn.executeUnprepared(`ROLLBACK TO SAVEPOINT effect_sql_${id}`, [], undefined)
  })

/** The server answered (an SQL error, a row that does not decode): the database is there, whatever went wrong. */
const answered = (e: unknown, depth = 0): boolean => {
  if (typeof e !== "object" || e === null || depth > 4) return false
  if ("sqlState" in e || ("_tag" in e && e._tag === "ParseError")) return true
  return "cause" in e && answered(e.cause, depth + 1)
}

const isOutage = (e: unknown): boolean => e instanceof StoreUnavailable && !answered(e.cause)

/** One breaker per pool, shared by every store on it (the stores get the pool, not a breaker). */
const breakers = new WeakMap<SqlClient.SqlClient, Breaker.Breaker>()

export const breakerOf = (sql: SqlClient.SqlClient): Breaker.Breaker => {
  let b = breakers.get(sql)
  if (b === undefined) {
    b = Breaker.unsafeMake("mariadb")
    breakers.set(sql, b)
  }
  return b
}

/**
 * Wall-clock bounds on one statement and one transaction: a server that
 * stopped answering on an open connection would otherwise hold the request
 * (and its pooled connection) until TCP gives up.
 */
export const STATEMENT_TIMEOUT_MS = 10_000
export const TRANSACTION_TIMEOUT_MS = 30_000

/**
 * What every SQL store does with its statements: SqlError (and a row that no
 * longer decodes) becomes StoreUnavailable naming MariaDB and the store's
 * operation, and transactions that the server chose as a deadlock victim run
 * again from the start (the decisions inside are pure, so re-running them is
 * safe). Every call goes through the pool's breaker: once the server stopped
 * answering, calls fail at once until a probe gets through.
 */
export const storeOps = (sql: SqlClient.SqlClient, store: string) => {
  const fail = (operation: string) => (cause: unknown) => new StoreUnavailable({ store: "mariadb", operation: `${store}.${operation}`, cause })
  const withTransaction = readCommitted(sql)
  const breaker = breakerOf(sql)
  const guarded = (operation: string) => ({ isOutage, onOpen: fail(operation) })
  const timedOut = (operation: string, ms: number) => () => fail(operation)(new Error(`no answer within ${ms / 1000} s`))
  const asTransaction = <A, E, R>(operation: string, effect: Effect.Effect<A, E | SqlError, R>) =>
    effect.pipe(
      Effect.catchIf((e): e is SqlError => e instanceof SqlError, (e) => Effect.fail(fail(operation)(e))),
      // A COMMIT or ROLLBACK that fails (the connection died under it) is a defect to @effect/sql; here it is
      // the database going away: the server applies the transaction whole or not at all, so it is a 503, not a 500.
      Effect.catchSomeDefect((d) => (d instanceof SqlError ? Option.some(Effect.fail(fail(operation)(d))) : Option.none())),
      Effect.retry({ while: isRetryable, schedule: Schedule.exponential("5 millis").pipe(Schedule.jittered), times: 8 }),
      Breaker.wallClockDeadline(TRANSACTION_TIMEOUT_MS, timedOut(operation, TRANSACTION_TIMEOUT_MS)),
      (e) => breaker.guard<A, Exclude<E, SqlError> | StoreUnavailable, R, StoreUnavailable>(e, guarded(operation)),
      Effect.withSpan(`${store}.${operation}`)
    )
  return {
    fail,
    run: (operation: string) => <A, R>(effect: Effect.Effect<A, SqlError | ParseResult.ParseError, R>) =>
      effect.pipe(
        Effect.mapError(fail(operation)),
        Breaker.wallClockDeadline(STATEMENT_TIMEOUT_MS, timedOut(operation, STATEMENT_TIMEOUT_MS)),
        (e) => breaker.guard(e, guarded(operation)),
        Effect.withSpan(`${store}.${operation}`)
      ),
    transaction: <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>) => asTransaction(operation, withTransaction(effect)),
    /**
     * A transaction in two round trips instead of one per statement plus
     * BEGIN and COMMIT: `open` goes in one query after the isolation level
     * and BEGIN, the statements `close` decides on from its rows go in a
     * second one before COMMIT (the pool's connections take several
     * statements per query; the server stops at the first that fails, and
     * whatever is left open is rolled back). For hot paths where each round
     * trip costs the app more CPU than the statements cost the server. Same
     * errors, retry, deadline and breaker as `transaction`.
     */
    twoTrips: <Row, A>(
      operation: string,
      open: Statement.Statement<Row>,
      close: (rows: ReadonlyArray<Row>) => Effect.Effect<readonly [ReadonlyArray<Statement.Statement<unknown>>, A], ParseResult.ParseError>
    ) =>
      asTransaction(
        operation,
        Effect.uninterruptibleMask((restore) =>
          Effect.scoped(Effect.gen(function*() {
            const conn = yield* sql.reserve
            return yield* restore(Effect.gen(function*() {
              const [openSql, openParams] = open.compile()
              // One result per statement: the isolation level's, BEGIN's, then open's rows.
              const results = yield* conn.executeUnprepared(`${BEGIN_READ_COMMITTED}; ${openSql}`, openParams, undefined)
              const [statements, a] = yield* close(results[results.length - 1] as ReadonlyArray<Row>).pipe(Effect.mapError(fail(operation)))
              const texts: Array<string> = []
              const params: Array<unknown> = []
              for (const statement of statements) {
                const [text, values] = statement.compile()
                texts.push(text)
                params.push(...values)
              }
              yield* conn.executeUnprepared([...texts, "COMMIT"].join("; "), params, undefined)
              return a
            })).pipe(
              // As in @effect/sql's transactions: a ROLLBACK that fails means the connection is gone.
              Effect.onError(() => Effect.orDie(conn.executeUnprepared("ROLLBACK", [], undefined)))
            )
          }))
        )
      )
  }
}

/**
 * A schema stored as one JSON column. Bigints inside the aggregates are
 * encoded by their schemas (as strings), so nothing loses precision. The
 * driver hands JSON columns back parsed or as text depending on the server;
 * both are accepted.
 */
export const jsonColumn = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encodeSync(schema)
  const decodeParsed = Schema.decodeUnknown(schema)
  const decodeText = Schema.decodeUnknown(Schema.parseJson(schema))
  return {
    encode: (a: A): string => JSON.stringify(encode(a)),
    decode: (raw: unknown): Effect.Effect<A, ParseResult.ParseError> =>
      typeof raw === "string" ? decodeText(raw) : decodeParsed(raw)
  }
}

/** BIGINT / DECIMAL columns arrive as strings (bigNumberStrings); amounts become bigint, instants number. */
export const toBigInt = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(String(v)))
export const toNumber = (v: unknown): number => (typeof v === "number" ? v : Number(v))

/** `items` in slices of `size`, so one statement never carries an unbounded IN list. */
export const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
