import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { SigningJobsLive } from "../../../apps/jobs.js"
import { LeaderLockLive } from "../../../apps/persistence.js"
import { request, startApp } from "../../support/http-app.js"
import { ADMIN_URL, createEmptyDatabase, dropDatabase, mariadbReachable, randomDatabaseName, urlOf } from "../../support/mariadb.js"
import { REDIS_URL, redisReachable } from "../../support/redis.js"
import { tcpProxy } from "../../support/tcp-proxy.js"

/*
 * MariaDB and Redis are shared by every test file, so they are never stopped:
 * the app reaches each through a loopback proxy the test cuts (every open
 * connection reset, new ones refused) and restores. The app runs on the test
 * clock, so the breakers' 5 s cool-down passes when the test moves it.
 */

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))
const user = () => getPublicKey(generateSecretKey())
const inCi = process.env["CI"] === "true"
const [haveMariadb, haveRedis] = await Promise.all([mariadbReachable, redisReachable])
if (inCi && !(haveMariadb && haveRedis)) throw new Error("the outage tests need MariaDB and Redis in CI")

/** The service URL with its host and port replaced by the proxy's. */
const viaProxy = (url: string, port: number) => {
  const u = new URL(url)
  u.hostname = "127.0.0.1"
  u.port = String(port)
  return u.toString()
}

const target = (url: string) => {
  const u = new URL(url)
  return [u.hostname, Number(u.port)] as const
}

/** Retries `read` after moving the app's clock past a cool-down, until `done` holds; returns how many rounds it took. */
const recovers = <A>(read: Effect.Effect<A>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let round = 1; round <= 60; round++) {
      yield* TestClock.adjust("5 seconds")
      const a = yield* read
      if (done(a)) return { round, value: a }
      yield* sleep(250)
    }
    return yield* Effect.dieMessage("the app did not recover within 60 rounds")
  })

describe.runIf(haveMariadb)("MariaDB outage", () => {
  it.scoped("requests that need the database are a 503 naming mariadb; no transfer is half-applied; the app serves again once it is back", () =>
    Effect.gen(function*() {
      const name = randomDatabaseName()
      yield* Effect.acquireRelease(createEmptyDatabase(name), () => dropDatabase(name))
      const proxy = yield* tcpProxy(...target(ADMIN_URL))
      const app = yield* startApp({ DATABASE_URL: viaProxy(urlOf(name), proxy.port) })
      const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
      const [a, b] = [user(), user()]
      const balances = Effect.all([call("GET", `/balances/${a}/gBTC`), call("GET", `/balances/${b}/gBTC`)])
      const transfer = (amount: number) => call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "gBTC", amount })

      expect((yield* call("POST", "/assets", { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC", total_supply: 0 })).status).toBe(201)
      expect((yield* call("POST", "/assets/gBTC/mint", { user_pubkey: a, amount: 100_000 })).status).toBe(200)
      expect((yield* transfer(1_000)).status).toBe(200)
      // The session sweep runs in the background; it must carry on after the outage.
      yield* Layer.build(SigningJobsLive.pipe(Layer.provide(LeaderLockLive), Layer.provide(Layer.succeedContext(app.context))))
      const session = yield* call("POST", "/sessions/create", { user_pubkey: a, session_type: "p2p_transfer", intent_data: { recipient_pubkey: b, amount: 1_000, asset_id: "gBTC" } })
      expect(session.status).toBe(201)

      // Cut while transfers are in flight: each is applied whole or not at all.
      const inFlight = yield* Effect.forEach(Array.from({ length: 20 }, () => transfer(1_000)), (t) => t, { concurrency: 20 }).pipe(Effect.fork)
      yield* sleep(20)
      yield* proxy.cut
      const answers = yield* inFlight.await.pipe(Effect.flatMap((exit) => exit))
      for (const r of answers) expect([200, 503], JSON.stringify(r.body)).toContain(r.status)

      const refused = yield* transfer(1_000)
      expect(refused.status).toBe(503)
      expect(refused.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "mariadb" })
      // Reads too; after 5 of them the breaker refuses without touching the pool.
      for (let i = 0; i < 5; i++) expect((yield* call("GET", `/balances/${a}/gBTC`)).body).toMatchObject({ dependency: "mariadb" })
      const ready = yield* call("GET", "/ready")
      expect(ready.status).toBe(503)
      expect(ready.body.checks.database).toMatchObject({ status: "down", adapter: "mariadb", breaker: "open" })
      // Liveness and the daemons do not need the database.
      expect((yield* call("GET", "/health")).status).toBe(200)
      expect((yield* call("GET", "/grpc/arkd/info")).status).toBe(200)

      // The session's deadline passes during the outage; every sweep in between fails.
      yield* TestClock.adjust("31 minutes")
      yield* proxy.restore
      const back = yield* recovers(balances, ([x, y]) => x.status === 200 && y.status === 200)
      expect(back.round).toBeLessThanOrEqual(10)
      const [sender, recipient] = back.value.map((r) => r.body)
      // Conservation: whatever got through moved whole amounts, and every transfer answered 200 did move.
      expect(sender.balance + recipient.balance).toBe(100_000)
      const moved = recipient.balance / 1_000 - 1
      expect(Number.isInteger(moved)).toBe(true)
      const ok = answers.filter((r) => r.status === 200).length
      expect(moved).toBeGreaterThanOrEqual(ok)
      expect(moved).toBeLessThanOrEqual(answers.length)
      expect(sender.reserved_balance).toBe(0)

      const after = yield* transfer(1_000)
      expect(after.status).toBe(200)
      expect(after.body).toMatchObject({ sender_balance: { balance: sender.balance - 1_000 }, recipient_balance: { balance: recipient.balance + 1_000 } })
      expect((yield* call("GET", "/ready")).body.checks.database).toMatchObject({ status: "ok", breaker: "closed" })
      // The sweep resumed on its own and expired the session (nobody called /sessions/cleanup).
      const stats = yield* recovers(call("GET", "/sessions/stats"), (r) => r.status === 200 && r.body.by_status?.expired === 1)
      expect(stats.value.body).toMatchObject({ active: 0 })
      expect((yield* call("GET", `/sessions/${session.body.session_id}`)).body.status).toBe("expired")
    }), 120_000)
})

describe.runIf(haveRedis)("Redis outage", () => {
  it.scoped("rate-limited routes are a 503 naming the rate limiter on Redis; the ledger keeps working; both recover once it is back", () =>
    Effect.gen(function*() {
      const proxy = yield* tcpProxy(...target(REDIS_URL))
      const prefix = `relaygate_test_outage_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}:`
      const app = yield* startApp({ REDIS_URL: viaProxy(REDIS_URL, proxy.port), REDIS_KEY_PREFIX: prefix })
      const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
      const [a, b] = [user(), user()]
      expect((yield* call("GET", "/api/v1/packets/stuck")).status).toBe(200)

      yield* proxy.cut
      const limited = yield* call("GET", "/api/v1/packets/stuck")
      expect(limited.status).toBe(503)
      expect(limited.body.error).toMatchObject({ code: "SERVICE_UNAVAILABLE", details: expect.objectContaining({ dependency: "rate limiter" }) })
      expect(JSON.stringify(limited.body)).toMatch(/redis/)
      for (let i = 0; i < 5; i++) yield* call("GET", "/api/v1/packets/stuck")
      const ready = yield* call("GET", "/ready")
      expect(ready.body.checks.redis).toMatchObject({ status: "down", adapter: "redis", breaker: "open" })

      // The ledger lives in its store, not in Redis.
      expect((yield* call("POST", "/assets/BTC/mint", { user_pubkey: a, amount: 5_000 })).status).toBe(200)
      expect((yield* call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "BTC", amount: 2_000 })).status).toBe(200)

      yield* proxy.restore
      const back = yield* recovers(call("GET", "/api/v1/packets/stuck"), (r) => r.status === 200)
      expect(back.round).toBeLessThanOrEqual(10)
      expect((yield* call("GET", "/ready")).body.checks.redis).toMatchObject({ status: "ok", breaker: "closed" })
    }), 120_000)
})
