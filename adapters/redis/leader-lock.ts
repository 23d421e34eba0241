import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import { Duration, Effect, Layer, Option } from "effect"
import { LeaderLock } from "../../ports/leader-lock.js"
import { RedisClient } from "./client.js"

export interface LeaderLockOptions {
  /** How long a lock outlives a holder that stopped renewing it (died, or cut off from Redis). */
  readonly ttl?: Duration.DurationInput | undefined
  /** Who this replica is, written into the lock's value so operators can see who leads (default `host:pid`). */
  readonly holder?: string | undefined
}

/** The replica named in a lock's value (`<holder>/<nonce>`). */
export const holderOf = (value: string): string => value.slice(0, Math.max(0, value.lastIndexOf("/")))

const DEFAULT_TTL = Duration.seconds(15)

/* KEYS[1] the lock; ARGV token, ttl ms. Extends the lock only while this holder owns it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
/* KEYS[1] the lock; ARGV token. Deletes the lock only while this holder owns it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

class LockLost extends Error {}

/**
 * A lock per job in Redis: `SET <prefix>lock:<job> <token> NX PX ttl`, renewed
 * every ttl/3 by a compare-and-extend script, given back by compare-and-delete
 * when the job stops. A replica killed with -9 renews no more and its lock
 * expires after at most ttl; the others poll every ttl/3, so a job moves
 * within about 1.3 × ttl. A holder that cannot confirm its lock for two
 * thirds of a ttl assumes it lost it and interrupts its job before the lock
 * can expire, so two replicas never knowingly run one job at once.
 */
export const make = (options: LeaderLockOptions = {}) =>
  Effect.gen(function*() {
    const { breaker, client, prefix } = yield* RedisClient
    const ttl = Duration.toMillis(Duration.decode(options.ttl ?? DEFAULT_TTL))
    const holder = options.holder ?? `${hostname()}:${process.pid}`
    const tick = Duration.millis(Math.max(10, Math.floor(ttl / 3)))
    const call = <A>(f: () => Promise<A>) =>
      breaker.guard(Effect.tryPromise({ try: f, catch: (e) => (e instanceof Error ? e : new Error(String(e))) }), {
        isOutage: () => true,
        onOpen: (open): Error => open
      })

    const tryAcquire = (key: string, token: string) =>
      call(() => client.set(key, token, "PX", ttl, "NX")).pipe(
        Effect.map((r) => r === "OK"),
        // The breaker logs the outage once; every poll of every job would otherwise add a line.
        Effect.catchAll(() => Effect.succeed(false))
      )

    const renew = (key: string, token: string) => call(() => client.eval(RENEW, 1, key, token, String(ttl)) as Promise<number>)
    const release = (key: string, token: string) => call(() => client.eval(RELEASE, 1, key, token)).pipe(Effect.ignore)

    /** Renews until the lock is lost: someone else owns it, or it could not be confirmed for a whole ttl. */
    const keepAlive = (key: string, token: string) =>
      Effect.gen(function*() {
        let confirmedAt = Date.now()
        while (true) {
          yield* Effect.sleep(tick)
          const result = yield* Effect.either(renew(key, token))
          if (result._tag === "Right" && result.right === 1) confirmedAt = Date.now()
          else if (result._tag === "Right") return yield* Effect.fail(new LockLost("another replica holds it"))
          // Given up one tick before the lock could have expired, so the job stops before another replica may start it.
          else if (Date.now() - confirmedAt >= ttl - Duration.toMillis(tick)) {
            return yield* Effect.fail(new LockLost(`not confirmed for ${Date.now() - confirmedAt} ms: ${result.left.message}`))
          }
        }
      })

    return LeaderLock.of({
      lead: <E, R>(name: string, job: Effect.Effect<void, E, R>) => {
        const key = `${prefix}lock:${name}`
        const round = Effect.gen(function*() {
          const token = `${holder}/${randomBytes(16).toString("hex")}`
          while (!(yield* tryAcquire(key, token))) yield* Effect.sleep(tick)
          yield* Effect.logInfo("leading job").pipe(Effect.annotateLogs({ job: name }))
          const outcome = yield* Effect.raceFirst(
            job.pipe(Effect.exit, Effect.map(Option.some)),
            keepAlive(key, token).pipe(Effect.as(Option.none()))
          ).pipe(Effect.either, Effect.ensuring(release(key, token)))
          if (outcome._tag === "Left") {
            yield* Effect.logWarning("lost the job's lock; the job was stopped").pipe(Effect.annotateLogs({ job: name, reason: outcome.left.message }))
          } else if (Option.isSome(outcome.right) && outcome.right.value._tag === "Failure") {
            yield* Effect.logWarning("job failed; it runs again", outcome.right.value.cause).pipe(Effect.annotateLogs({ job: name }))
          }
          yield* Effect.sleep(tick)
        })
        return round.pipe(Effect.forever, Effect.withSpan("LeaderLock.lead", { attributes: { name } }))
      }
    })
  })

export const layer = (options: LeaderLockOptions = {}) => Layer.effect(LeaderLock, make(options))
