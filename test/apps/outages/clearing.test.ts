import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, TestClock } from "effect"
import { recvEvent, route, sendEvent, transferData } from "../../support/clearing.js"
import { aliceToken, CHANNEL, clearingServices, NOW, startClearingApp } from "../../support/clearing-services.js"
import { request } from "../../support/http-app.js"
import { tcpProxy } from "../../support/tcp-proxy.js"

/*
 * The clearing module's outside services, each taken away and brought back
 * mid-test: Chainpulse, the Cosmos REST endpoint that verifies payments and
 * Hermes sit behind proxies the test cuts; the CometBFT fake refuses and drops
 * its sockets. The app runs on the test clock (breaker cool-downs, reconnect
 * backoff), its sockets on real time.
 */

const SECRET = "clearing-outage-test-secret-0123456789abcdef"

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** Polls `read` (moving the app's clock by `step` each round) until `done` holds. */
const until = <A>(read: Effect.Effect<A>, done: (a: A) => boolean, step: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    for (let round = 1; round <= 80; round++) {
      const a = yield* read
      if (done(a)) return { round, value: a }
      yield* TestClock.adjust(step)
      yield* sleep(100)
    }
    return yield* Effect.dieMessage(`condition never held; last: ${JSON.stringify(yield* read).slice(0, 400)}`)
  })

const world = Effect.gen(function*() {
  const services = yield* clearingServices()
  const { noble, osmosis, pay } = services
  const proxyOf = (url: string) => tcpProxy("127.0.0.1", Number(new URL(url).port))
  const chainpulse = yield* proxyOf(services.chainpulse.url)
  const hermes = yield* proxyOf(services.hermes.url)
  const lcd = yield* proxyOf(services.lcd.url)
  const app = yield* startClearingApp(services, {
    JWT_SECRET: SECRET,
    CHAINPULSE_URL: `http://127.0.0.1:${chainpulse.port}`,
    COSMOS_REST_OSMOSIS_1: `http://127.0.0.1:${lcd.port}`,
    HERMES_URL: `http://127.0.0.1:${hermes.port}`
  })
  const jwt = yield* aliceToken(SECRET, Math.floor(NOW / 1000) + 86_400)
  const call = (method: string, path: string, body?: unknown) =>
    request(app.baseUrl, method, path, body, { headers: { authorization: `Bearer ${jwt}`, ...(body === undefined ? {} : { "content-type": "application/json" }) } })
  return { osmosis, noble, chainpulse, hermes, hermesServer: services.hermes, lcd, pay, call }
})

const outage = (dependency: string) => ({ error: expect.objectContaining({ details: expect.objectContaining({ dependency }) }) })

describe("outages of the clearing module's services", () => {
  it.scoped("Chainpulse, CometBFT, the payment chain's REST endpoint and Hermes each go away and come back; what needs them is a 503 naming them, the rest keeps answering, nothing is half-applied", () =>
    Effect.gen(function*() {
      const { call, chainpulse, hermes, hermesServer, lcd, noble, osmosis, pay } = yield* world
      const earlier = route(CHANNEL)
      osmosis.commit([[sendEvent(earlier)]])
      noble.commit([[recvEvent(earlier)]])
      const stuck = route(CHANNEL)
      osmosis.commit([[sendEvent(stuck, { data: transferData({ sender: "osmo1alice", receiver: "noble1bob", amount: "2500000", denom: "uosmo" }) })]])
      yield* until(call("GET", "/api/v1/packets/stuck"), (r) => r.body.total === 1)

      // Chainpulse: its views are a 503 naming it; packet views come from the chains and keep working.
      expect((yield* call("GET", "/api/monitoring/data")).status).toBe(200)
      yield* chainpulse.cut
      for (let i = 0; i < 6; i++) {
        const r = yield* call("GET", "/api/monitoring/data")
        expect(r.status).toBe(503)
        expect(r.body).toMatchObject(outage("Chainpulse"))
      }
      expect((yield* call("GET", "/api/v1/packets/stuck")).status).toBe(200)
      yield* chainpulse.restore
      const monitoring = yield* until(call("GET", "/api/monitoring/data"), (r) => r.status === 200, "5 seconds")
      expect(monitoring.round).toBeLessThanOrEqual(5)

      // CometBFT: the follower loses its socket and cannot reconnect; queries still answer from the store;
      // a packet sent meanwhile is picked up once the node is back (reconnect + backfill).
      osmosis.refuseConnections(true)
      osmosis.dropConnections()
      const during = route(CHANNEL)
      osmosis.commit([[sendEvent(during)]])
      yield* TestClock.adjust("2 seconds")
      expect((yield* call("GET", "/api/v1/packets/stuck")).body.total).toBe(1)
      osmosis.refuseConnections(false)
      const resumed = yield* until(call("GET", "/api/v1/packets/stuck"), (r) => r.body.total === 2, "2 seconds")
      expect(resumed.value.body.packets.map((p: { sequence: number }) => p.sequence)).toContain(during.sequence)

      // The payment chain's REST endpoint: verifying is a 503 naming the chain; the clearing still waits for payment.
      const quote = yield* call("POST", "/api/v1/clearing/request-token", { packets: [{ chain_id: "osmosis-1", channel: "channel-750", sequence: stuck.sequence }] })
      expect(quote.status).toBe(200)
      const clearingToken: string = quote.body.token
      const txHash = "AB".repeat(32)
      pay(txHash, `clearing ${clearingToken}`)
      yield* lcd.cut
      yield* hermes.cut
      const unverified = yield* call("POST", "/api/v1/clearing/verify-payment", { token: clearingToken, tx_hash: txHash })
      expect(unverified.status).toBe(503)
      expect(unverified.body.error).toMatchObject({ code: "CHAIN_UNAVAILABLE" })
      expect((yield* call("GET", `/api/v1/clearing/status/${clearingToken}`)).body.status).toBe("awaiting_payment")
      yield* lcd.restore

      // Hermes: the paid clearing cannot be executed; it ends failed (refundable), not stuck half-way.
      const paid = yield* until(call("POST", "/api/v1/clearing/verify-payment", { token: clearingToken, tx_hash: txHash }), (r) => r.status !== 503, "5 seconds")
      expect(paid.value.status).toBe(200)
      const failed = yield* until(call("GET", `/api/v1/clearing/status/${clearingToken}`), (r) => r.body.status !== "paid" && r.body.status !== "clearing")
      expect(failed.value.body.status).toMatch(/^(failed|refunded)$/)
      expect(hermesServer.requests().filter((r) => r.method === "POST")).toHaveLength(0)
      // Verifying the same payment again does not start the clearing over.
      yield* call("POST", "/api/v1/clearing/verify-payment", { token: clearingToken, tx_hash: txHash })
      expect((yield* call("GET", `/api/v1/clearing/status/${clearingToken}`)).body.status).toBe(failed.value.body.status)

      // Hermes back: the next clearing reaches it.
      yield* hermes.restore
      yield* TestClock.adjust("5 seconds")
      const next = yield* call("POST", "/api/v1/clearing/request-token", { packets: [{ chain_id: "osmosis-1", channel: "channel-750", sequence: during.sequence }] })
      expect(next.status).toBe(200)
      const tx2 = "CD".repeat(32)
      pay(tx2, `clearing ${next.body.token}`, 61)
      expect((yield* call("POST", "/api/v1/clearing/verify-payment", { token: next.body.token, tx_hash: tx2 })).status).toBe(200)
      yield* until(Effect.sync(() => hermesServer.requests().filter((r) => r.method === "POST").length), (n) => n === 1)
    }), 120_000)
})
