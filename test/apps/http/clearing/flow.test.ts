import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import WebSocket from "ws"
import { ackEvent, recvEvent, route, sendEvent, T0, transferData } from "../../../support/clearing.js"
import { aliceToken, CHANNEL, clearingServices, NOW, SERVICE, startClearingApp } from "../../../support/clearing-services.js"
import { eventually } from "../../../support/eventually.js"
import { jsonClient, startApp } from "../../../support/http-app.js"

const SECRET = "clearing-black-box-secret-0123456789abcdef"

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
const ALG_NONE = `${b64({ alg: "none", typ: "JWT" })}.${b64({ user_id: "usr_alice", exp: Math.floor(NOW / 1000) + 3_600 })}.`


/** Real time, not the test clock: the app's sockets and fakes run on the event loop. */
const pause = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** A WebSocket client that keeps every message it receives. */
const wsClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ ws: WebSocket; messages: Array<any>; closed: { code: number | null } }>((resolve, reject) => {
        const ws = new WebSocket(url)
        const messages: Array<any> = []
        const closed = { code: null as number | null }
        ws.on("message", (d) => messages.push(JSON.parse(String(d))))
        ws.on("close", (code) => {
          closed.code = code
        })
        ws.once("open", () => resolve({ ws, messages, closed }))
        ws.once("error", reject)
      })
    ),
    ({ ws }) => Effect.sync(() => ws.terminate())
  ).pipe(Effect.map((c) => ({
    ...c,
    send: (m: unknown) => Effect.sync(() => c.ws.send(JSON.stringify(m))),
    next: (ok: (m: any) => boolean, what: string) =>
      eventually(Effect.sync(() => c.messages.find(ok)), (m) => m !== undefined, what)
  })))

const errorBody = (code: string) => ({
  error: { code, title: expect.any(String), message: expect.any(String), details: expect.any(Object), suggestion: expect.any(String) },
  request_id: expect.stringMatching(/^req_/),
  timestamp: expect.any(String)
})

/** The clearing module's outside services and the app on top. */
const world = Effect.gen(function*() {
  const services = yield* clearingServices()
  const app = yield* startClearingApp(services, { JWT_SECRET: SECRET })
  return { ...services, app, call: jsonClient(app.baseUrl), wsUrl: `${app.baseUrl.replace("http", "ws")}/api/v1/ws` }
})

describe("clearing over HTTP and WebSocket", () => {
  it.scoped("shows real stuck, expired and user packets, then clears one for a fee once the chain shows the ack", () =>
    Effect.gen(function*() {
      const { call, hermes, noble, osmosis, pay, wsUrl } = yield* world
      const token = yield* aliceToken(SECRET)

      // A delivered packet teaches the channel's destination; then two packets nobody relays.
      const earlier = route(CHANNEL)
      osmosis.commit([[sendEvent(earlier)]])
      noble.commit([[recvEvent(earlier)]])
      const stuck = route(CHANNEL)
      const doomed = route(CHANNEL)
      osmosis.commit([
        [sendEvent(stuck, { data: transferData({ sender: "osmo1alice", receiver: "noble1bob", amount: "2500000", denom: "uosmo" }) })],
        [sendEvent(doomed, { data: transferData({ sender: "osmo1alice", amount: "7", denom: "uatom" }), timeout_timestamp: String(BigInt(T0 + 600_000) * 1_000_000n) })]
      ])
      const listed = yield* eventually(call("GET", "/api/v1/packets/stuck"), (r) => r.body.total === 1, "stuck packet listed")
      expect(listed.status).toBe(200)
      expect(listed.headers.get("x-ratelimit-limit")).toBe("100")
      expect(listed.body.packets[0]).toMatchObject({
        id: `osmosis-1-channel-750-${stuck.sequence}`,
        sender: "osmo1alice",
        receiver: "noble1bob",
        amount: "2500000",
        denom: "uosmo",
        dst_chain_id: "noble-1",
        status: "pending",
        relay_attempts: 0
      })
      expect(listed.body.api_version).toBe("1.0")

      const expired = yield* call("GET", "/api/v1/packets/expired")
      expect(expired.body.packets).toEqual([expect.objectContaining({
        sequence: doomed.sequence, sender: "osmo1alice", amount: "7", denom: "uatom", timeout_type: "timestamp", seconds_since_timeout: expect.any(Number)
      })])

      expect((yield* call("GET", "/api/v1/packets/by-user?address=osmo1alice")).status).toBe(401)
      const mine = yield* call("GET", "/api/v1/packets/by-user?address=osmo1alice&role=sender", { token })
      expect(mine.status).toBe(200)
      expect(mine.body.packets.map((p: any) => p.sequence).sort()).toEqual([stuck.sequence, doomed.sequence].sort())

      const facade = yield* call("GET", "/api/packets/stuck")
      expect(facade.body[0]).toMatchObject({ sourceChain: "osmosis-1", destinationChain: "noble-1", sender: "osmo1alice", amount: "2500000" })
      const detail = yield* call("GET", `/api/v1/chainpulse/packets/osmosis-1/channel-750/${stuck.sequence}`)
      expect(detail.body).toMatchObject({ clearing_eligible: true, clearing_requirements: { needs_payment: true, fee: { amount: "500000", denom: "uosmo" }, payment_address: SERVICE } })

      const monitoring = yield* call("GET", "/api/monitoring/data")
      expect(monitoring.body).toMatchObject({ chains_monitored: 3, stuck_total: 3177 })
      expect(monitoring.body.chains.map((c: any) => c.chain_id)).toEqual(["cosmoshub-4", "neutron-1", "osmosis-1"])
      const congestion = yield* call("GET", "/api/v1/chainpulse/channels/congestion")
      expect(congestion.body.channels).toHaveLength(77)
      expect(congestion.body.channels.every((c: any) => c.dst_chain === null && /^channel-/.test(c.dst_channel))).toBe(true)

      // WebSocket: auth, subscribe, then follow the clearing.
      const socket = yield* wsClient(wsUrl)
      yield* socket.send({ type: "auth", token: `Bearer ${token}` })
      yield* socket.next((m) => m.type === "authenticated", "authenticated")
      yield* socket.send({ type: "subscribe", topics: ["packet_updates", "clearing_status"], filters: { chain_id: "osmosis-1" } })
      yield* socket.next((m) => m.type === "subscribed", "subscribed")

      const quote = yield* call("POST", "/api/v1/clearing/request-token", { token, body: { packets: [{ chain_id: "osmosis-1", channel: "channel-750", sequence: stuck.sequence }] } })
      expect(quote.status).toBe(200)
      expect(quote.body).toMatchObject({ status: "awaiting_payment", payment_address: SERVICE, fees: { total: "500000", denom: "uosmo" } })
      expect(quote.headers.get("x-ratelimit-limit")).toBe("10")
      const clearingToken: string = quote.body.token
      expect(quote.body.memo).toBe(clearingToken)

      const txHash = "AB".repeat(32)
      pay(txHash, `clearing ${clearingToken}`)
      const paid = yield* call("POST", "/api/v1/clearing/verify-payment", { token, body: { token: clearingToken, tx_hash: txHash } })
      expect(paid.status).toBe(200)
      expect(paid.body.payment).toMatchObject({ received: true, tx_hash: txHash, amount: "500000" })

      // Hermes is asked to clear the chain and says it did; that alone clears nothing.
      yield* eventually(Effect.sync(() => hermes.requests().filter((r) => r.method === "POST")), (rs) => rs.length === 1, "hermes called")
      expect(hermes.requests().find((r) => r.method === "POST")!.url).toBe("/clear_packets?chain=osmosis-1")
      const relaying = yield* eventually(call("GET", `/api/v1/clearing/status/${clearingToken}`, { token }), (r) => r.body.execution?.scope === "chain", "relayer reported")
      expect(relaying.body.status).toBe("clearing")

      // The chain shows the delivery: recv on noble-1, ack on osmosis-1.
      noble.commit([[recvEvent(stuck)]])
      osmosis.commit([[ackEvent(stuck)]])
      const cleared = yield* socket.next((m) => m.type === "clearing_status" && m.data.status === "cleared", "cleared pushed")
      expect(cleared.data).toMatchObject({ token_id: clearingToken, packet_id: `osmosis-1-channel-750-${stuck.sequence}`, tx_hash: expect.stringMatching(/^[0-9A-F]{64}$/) })
      const statuses = socket.messages.filter((m) => m.type === "clearing_status").map((m) => m.data.status)
      expect(statuses).toEqual(["awaiting_payment", "paid", "clearing", "cleared"])
      yield* socket.next((m) => m.type === "packet_update" && m.data.packet_id === `osmosis-1-channel-750-${stuck.sequence}` && m.data.status === "delivered", "delivery pushed")
      const done = yield* call("GET", `/api/v1/clearing/status/${clearingToken}`, { token })
      expect(done.body).toMatchObject({ status: "cleared", execution: { packets_cleared: 1 } })

      // The same payment cannot pay for another clearing.
      const again = yield* call("POST", "/api/v1/clearing/request-token", { token, body: { packet_ids: [`osmosis-1-channel-750-${doomed.sequence}`] } })
      expect(again.status).toBe(409)
      expect(again.body).toMatchObject(errorBody("PACKET_NOT_STUCK"))
    }))

  it.scoped("refuses forged, alg-none, expired and missing tokens with 401 in the spec's error body", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* startApp({ JWT_SECRET: SECRET })
      const call = jsonClient(app.baseUrl)
      const forged = yield* aliceToken("another-secret-that-is-long-enough-0000")
      const expired = yield* aliceToken(SECRET, Math.floor(NOW / 1000) - 1)
      for (const t of [forged, ALG_NONE, expired, undefined]) {
        const r = yield* call("GET", "/api/v1/clearing/operations", t === undefined ? {} : { token: t })
        expect(r.status).toBe(401)
        expect(r.body).toMatchObject(errorBody("UNAUTHORIZED"))
      }
      const ok = yield* call("GET", "/api/v1/clearing/operations", { token: yield* aliceToken(SECRET) })
      expect(ok).toMatchObject({ status: 200, body: { operations: [] } })
      expect((yield* call("GET", "/api/v1/packets/nope")).body).toMatchObject(errorBody("NOT_FOUND"))
      expect((yield* call("GET", "/api/v1/packets/stuck?limit=abc")).body).toMatchObject(errorBody("INVALID_REQUEST"))

      const socket = yield* wsClient(`${app.baseUrl.replace("http", "ws")}/api/v1/ws`)
      yield* socket.send({ type: "subscribe", topics: ["clearing_status"] })
      yield* socket.next((m) => m.type === "error" && m.error.code === "UNAUTHORIZED", "subscribe before auth refused")
      yield* socket.send({ type: "auth", token: ALG_NONE })
      yield* eventually(Effect.sync(() => socket.closed.code), (c) => c === 4401, "closed after a bad token")
    }))

  it.scoped("allows 5 WebSocket connections per user and closes sockets that stop answering pings", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* startApp({ JWT_SECRET: SECRET })
      const url = `${app.baseUrl.replace("http", "ws")}/api/v1/ws`
      const token = yield* aliceToken(SECRET)
      const sockets: Array<Effect.Effect.Success<ReturnType<typeof wsClient>>> = []
      for (let i = 0; i < 6; i++) {
        const s = yield* wsClient(url)
        yield* s.send({ type: "auth", token })
        sockets.push(s)
      }
      for (const s of sockets.slice(0, 5)) yield* s.next((m) => m.type === "authenticated", "authenticated")
      yield* sockets[5]!.next((m) => m.type === "error" && m.error.code === "TOO_MANY_CONNECTIONS", "sixth refused")
      yield* eventually(Effect.sync(() => sockets[5]!.closed.code), (c) => c === 4429, "sixth closed")

      const [lively, silent] = sockets
      yield* TestClock.adjust("31 seconds")
      yield* lively!.next((m) => m.type === "ping", "pinged")
      yield* lively!.send({ type: "pong" })
      yield* pause(50)
      yield* TestClock.adjust("30 seconds")
      yield* pause(50)
      yield* TestClock.adjust("30 seconds")
      yield* eventually(Effect.sync(() => silent!.closed.code), (c) => c === 4408, "silent socket closed")
      expect(lively!.closed.code).toBeNull()
    }))

  it.scoped("answers 503 on protected routes and the WebSocket without JWT_SECRET", () =>
    Effect.gen(function*() {
      const app = yield* startApp({})
      const call = jsonClient(app.baseUrl)
      const r = yield* call("GET", "/api/v1/clearing/operations", { token: "x" })
      expect(r.status).toBe(503)
      expect(r.body).toMatchObject(errorBody("SERVICE_UNAVAILABLE"))
      expect((yield* call("GET", "/api/v1/ws")).status).toBe(503)
      expect((yield* call("GET", "/api/v1/packets/stuck")).body).toMatchObject({ packets: [], total: 0 })
      expect((yield* call("GET", "/api/monitoring/data")).body).toMatchObject({ chains: [], stuck_total: 0, chains_monitored: null })
    }))

  it.scoped("limits each client address to 100 requests per minute", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const app = yield* startApp({})
      const call = jsonClient(app.baseUrl)
      for (let i = 0; i < 100; i++) expect((yield* call("GET", "/api/v1/channels/congestion")).status).toBe(200)
      const limited = yield* call("GET", "/api/v1/packets/stuck")
      expect(limited.status).toBe(429)
      expect(limited.body).toMatchObject(errorBody("RATE_LIMITED"))
      expect(limited.headers.get("retry-after")).not.toBeNull()
      expect(limited.headers.get("x-ratelimit-remaining")).toBe("0")
      yield* TestClock.adjust("61 seconds")
      expect((yield* call("GET", "/api/v1/packets/stuck")).status).toBe(200)
    }))
})
