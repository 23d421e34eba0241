import { connect } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { eventually } from "../support/eventually.js"
import { mariadbReachable } from "../support/mariadb.js"
import { open, readReply } from "../support/raw-http.js"
import { redisReachable } from "../support/redis.js"
import { jobsLedBy, type Replica, sharedBackends, startReplica } from "../support/replicas.js"

/*
 * SIGTERM to a real `relaygate serve`: it stops accepting at once, lets the
 * requests it is handling finish (or answers them 503 when they outlast
 * SHUTDOWN_TIMEOUT_SECONDS), gives its job locks back so another replica
 * takes the jobs without waiting for them to expire, and exits 0.
 */

const PUBKEY = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
const BODY = JSON.stringify({ user_pubkey: PUBKEY, session_type: "p2p_transfer", intent_data: { recipient_pubkey: PUBKEY, amount: 1000, asset_id: "BTC" } })

/** A POST whose body is only half sent: a request in flight, for as long as the test wants. */
const halfSent = (replica: Replica) =>
  Effect.promise(async () => {
    const socket = await open(replica.baseUrl)
    const reply = readReply(socket, 30_000)
    socket.write(`POST /sessions/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, 20)}`)
    return { reply, finish: () => socket.write(BODY.slice(20)) }
  })

const connects = (replica: Replica) =>
  Effect.promise(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(Number(new URL(replica.baseUrl).port), "127.0.0.1", () => (s.destroy(), resolve(true)))
        s.once("error", () => resolve(false))
      })
  )

const sigterm = (replica: Replica) =>
  Effect.sync(() => {
    const sent = Date.now()
    process.kill(replica.pid, "SIGTERM")
    return { exit: Effect.promise(async () => ({ code: await replica.exited, ms: Date.now() - sent })) }
  })

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

const servicesUp = (await mariadbReachable) && (await redisReachable)

describe("graceful shutdown (SIGTERM)", () => {
  it.live("stops accepting, lets an in-flight request finish, exits 0", () =>
    Effect.gen(function*() {
      const replica = yield* startReplica({ SHUTDOWN_TIMEOUT_SECONDS: "10" })
      const inFlight = yield* halfSent(replica)
      yield* sleep(200)
      const { exit } = yield* sigterm(replica)
      yield* sleep(300)
      expect(yield* connects(replica)).toBe(false)

      // The request that was being received when SIGTERM came is handled to its end: the route's own answer.
      inFlight.finish()
      const reply = yield* Effect.promise(() => inFlight.reply)
      expect(reply.status).toBe(201)
      expect(reply.body).toMatchObject({ session_id: expect.any(String), status: "initiated" })

      const { code, ms } = yield* exit
      expect(code).toBe(0)
      expect(ms).toBeLessThan(10_000)
      expect(replica.output()).toContain("shutting down")
    }).pipe(Effect.scoped), { timeout: 90_000 })

  it.live("a request that outlasts SHUTDOWN_TIMEOUT_SECONDS is answered 503 in its module's body; the process still exits 0 in time", () =>
    Effect.gen(function*() {
      const replica = yield* startReplica({ SHUTDOWN_TIMEOUT_SECONDS: "1", REQUEST_TIMEOUT_SECONDS: "60" })
      const stuck = yield* halfSent(replica)
      yield* sleep(200)
      const { exit } = yield* sigterm(replica)
      const reply = yield* Effect.promise(() => stuck.reply)
      expect(reply.status).toBe(503)
      expect(reply.body).toMatchObject({ code: "SHUTTING_DOWN", error: expect.any(String) })
      expect(reply.closed).toBe(true)
      const { code, ms } = yield* exit
      expect(code).toBe(0)
      // The bound, plus the grace to write the 503s and close the pools.
      expect(ms).toBeLessThan(6_000)
    }).pipe(Effect.scoped), { timeout: 90_000 })

  it.live("with 20 requests in flight, each gets its own answer, and new connections are refused meanwhile", () =>
    Effect.gen(function*() {
      const replica = yield* startReplica({ SHUTDOWN_TIMEOUT_SECONDS: "10", RATE_LIMIT_ENABLED: "false" })
      const inFlight = yield* Effect.all(Array.from({ length: 20 }, () => halfSent(replica)))
      yield* sleep(300)
      const { exit } = yield* sigterm(replica)
      yield* sleep(300)
      const refused = yield* Effect.all(Array.from({ length: 10 }, () => connects(replica)))
      expect(refused.every((ok) => !ok)).toBe(true)
      for (const r of inFlight) r.finish()
      const replies = yield* Effect.promise(() => Promise.all(inFlight.map((r) => r.reply)))
      expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201))
      const { code, ms } = yield* exit
      expect(code).toBe(0)
      expect(ms).toBeLessThan(10_000)
    }).pipe(Effect.scoped), { timeout: 90_000 })
})

describe.skipIf(!servicesUp && process.env["CI"] !== "true")("graceful shutdown with REDIS_URL", () => {
  it.live("the other replica takes the jobs within seconds of SIGTERM, not after the lock's 15 s expiry", () =>
    Effect.gen(function*() {
      const env = { ...(yield* sharedBackends), GATEWAY_PRIVATE_KEY: "88".repeat(32), SHUTDOWN_TIMEOUT_SECONDS: "5" }
      const [a, b] = yield* Effect.all([startReplica(env), startReplica(env)], { concurrency: 2 })
      yield* eventually(Effect.sync(() => jobsLedBy(a).has("signing.sweep") || jobsLedBy(b).has("signing.sweep")), (x) => x, "someone leads", 45_000)
      const [leader, other] = jobsLedBy(a).has("signing.sweep") ? [a, b] : [b, a]
      const moving = [...jobsLedBy(leader)]
      const { exit } = yield* sigterm(leader)
      const { code } = yield* exit
      expect(code).toBe(0)
      const start = Date.now()
      yield* eventually(Effect.sync(() => jobsLedBy(other)), (jobs) => moving.every((j) => jobs.has(j)), "the jobs move", 30_000)
      const tookMs = Date.now() - start
      console.log(JSON.stringify({ jobs_moved: moving, takeover_ms: tookMs }))
      // The survivor polls every ttl/3 = 5 s: a released lock is taken at its next poll, an expired one only after 15 s.
      expect(tookMs).toBeLessThan(8_000)
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
