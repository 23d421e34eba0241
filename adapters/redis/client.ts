import { Context, Data, Effect, Layer, Redacted, Runtime, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import * as Breaker from "../resilience/breaker.js"

/** Redis could not be used at start-up; the message is the one line an operator sees. */
export class RedisStartupFailed extends Data.TaggedError("RedisStartupFailed")<{ readonly message: string }> {}

export interface RedisConnection {
  readonly client: Redis
  /** Prepended to every key and channel this process uses (tests and shared servers keep apart by it). */
  readonly prefix: string
  /** Another connection to the same server, closed with the scope (a subscriber needs its own). */
  readonly duplicate: Effect.Effect<Redis, RedisStartupFailed, Scope.Scope>
  /** Shared by every adapter on this connection: once Redis stops answering, their calls fail at once until a probe succeeds. */
  readonly breaker: Breaker.Breaker
}

/** The Redis connection the adapters in this folder share. */
export class RedisClient extends Context.Tag("relaygate/adapters/RedisClient")<RedisClient, RedisConnection>() {}

export const DEFAULT_PREFIX = "relaygate:"

/** `redis://host:port/db`: the URL without credentials, for messages. */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return "an unparsable URL"
  }
}

const OPTIONS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 5_000,
  // A command fails after one reconnect attempt instead of queueing for long:
  // callers (rate limits, replay checks) answer 503 rather than hang.
  maxRetriesPerRequest: 1,
  // A server that accepts the connection but never answers (a dead peer, a stalled proxy) fails the command instead of holding it.
  commandTimeout: 5_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  // ioredis re-sends SUBSCRIBE after a reconnect without handling its failure: a connection that drops again
  // at once (a flapping network) made that an unhandled rejection. The event bus re-subscribes itself on 'ready'.
  autoResubscribe: false
}

/**
 * Opens a connection, waiting until the server answers; logs when it is lost
 * and back. Closed (QUIT, then a hard disconnect if that does not finish) with the scope.
 */
const connect = (url: string, role: string) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const log = Runtime.runFork(runtime)
    const client = new Redis(url, OPTIONS)
    let lastError: string | undefined
    let ready = false
    client.on("error", (e: Error) => {
      lastError = e.message
      if (ready) {
        ready = false
        log(Effect.logWarning("redis connection lost").pipe(Effect.annotateLogs({ role, reason: e.message })))
      }
    })
    client.on("ready", () => {
      if (!ready && lastError !== undefined) log(Effect.logInfo("redis connection back").pipe(Effect.annotateLogs({ role })))
      ready = true
    })
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => client.connect(),
        catch: (e) =>
          new RedisStartupFailed({
            message: `REDIS_URL: cannot reach ${describeUrl(url)}: ${lastError ?? (e instanceof Error ? e.message : String(e))}`
          })
      }).pipe(
        Effect.timeoutFail({
          duration: "6 seconds",
          onTimeout: () => new RedisStartupFailed({ message: `REDIS_URL: no answer from ${describeUrl(url)} within 6 s` })
        }),
        Effect.tapError(() => Effect.sync(() => client.disconnect()))
      ),
      () =>
        Effect.promise(() => client.quit()).pipe(
          Effect.timeout("2 seconds"),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => client.disconnect()))
        )
    )
    return client
  })

export const make = (options: { readonly url: Redacted.Redacted<string>; readonly prefix?: string | undefined }) =>
  Effect.gen(function*() {
    const url = Redacted.value(options.url)
    const client = yield* connect(url, "commands")
    const breaker = yield* Breaker.registered("redis")
    return RedisClient.of({ client, prefix: options.prefix ?? DEFAULT_PREFIX, duplicate: connect(url, "subscriber"), breaker })
  })

/** REDIS_URL (`redis://host:6379/0`, `rediss://` for TLS); fails start-up with one line when the server does not answer. */
export const layer = (options: { readonly url: Redacted.Redacted<string>; readonly prefix?: string | undefined }) =>
  Layer.scoped(RedisClient, make(options))
