import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { SignJWT } from "jose"
import WebSocket from "ws"
import { ClearingStatusTopic } from "../../../core/clearing/model.js"
import { EventBus } from "../../../ports/event-bus.js"
import { request, startApp } from "../../support/http-app.js"
import { open, rawRequest } from "../../support/raw-http.js"

/*
 * Each limit over real TCP, with raw sockets where a client library would
 * refuse to send the bad request (or would not stall): the status, the owning
 * module's error body, and that a refused or stalled socket is closed.
 */

const JWT_SECRET = "limits-black-box-secret-0123456789abcdef"

const expectArk = (body: any, code: string) => expect(body).toMatchObject({ error: expect.any(String), code })
const expectEpochs = (body: any, status: number) =>
  expect(body).toMatchObject({ statusCode: status, message: [expect.any(String)], error: expect.any(String) })
const expectClearing = (body: any, code: string) =>
  expect(body).toMatchObject({ error: { code, title: expect.any(String), message: expect.any(String), details: expect.any(Object) }, request_id: expect.any(String) })

describe("request limits", () => {
  it.scopedLive("a body over MAX_BODY_BYTES is 413 before it is read: declared, or streamed without a length", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_BODY_BYTES: "2048" })
      const big = JSON.stringify({ pubkey: "a".repeat(4000) })
      const declared = yield* request(app.baseUrl, "POST", "/sessions/create", big)
      expect(declared.status).toBe(413)
      expectArk(declared.body, "PAYLOAD_TOO_LARGE")
      expect(declared.body.limit_bytes).toBe(2048)

      // Chunked: no length up front, so the count stops the read at the limit.
      const chunk = big.slice(0, 1500)
      const chunked = yield* rawRequest(
        app.baseUrl,
        `POST /api/v1/zipcode-assignments/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`
      )
      expect(chunked.status).toBe(413)
      expectEpochs(chunked.body, 413)
      expect(chunked.closed).toBe(true)

      // At the limit the route decides (here: the body is not a valid session request).
      const fits = yield* request(app.baseUrl, "POST", "/sessions/create", JSON.stringify({ pubkey: "a".repeat(2000) }))
      expect(fits.status).toBe(400)
      expectArk(fits.body, "VALIDATION_ERROR")
    }))

  it.scopedLive("the default body limit is 1 MB", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const over = yield* request(app.baseUrl, "POST", "/api/v1/clearing/request-token", "x".repeat(1024 * 1024 + 1))
      expect(over.status).toBe(413)
      expectClearing(over.body, "PAYLOAD_TOO_LARGE")
      expect(over.body.error.details.limit_bytes).toBe(1024 * 1024)
    }))

  it.scopedLive("JSON nested deeper than MAX_JSON_DEPTH is the module's 400 before JSON.parse", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_JSON_DEPTH: "16" })
      const nest = (n: number) => `{"packets":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`
      const deep = yield* request(app.baseUrl, "POST", "/api/v1/clearing/request-token", nest(17))
      expect(deep.status).toBe(400)
      expectClearing(deep.body, "INVALID_REQUEST")
      expect(deep.body.error.message).toContain("nested deeper than 16")
      // Brackets inside strings are text, not nesting.
      const quoted = yield* request(app.baseUrl, "POST", "/sessions/create", JSON.stringify({ pubkey: "[".repeat(100) }))
      expect(quoted.status).toBe(400)
      expect(quoted.body.error).not.toContain("nested deeper")
      const epochs = yield* request(app.baseUrl, "POST", "/api/v1/zipcode-assignments/status", `{"a":${"[".repeat(40)}${"]".repeat(40)}}`)
      expect(epochs.status).toBe(400)
      expectEpochs(epochs.body, 400)
      expect(epochs.body.message.join(" ")).toContain("nested deeper than 16")
    }))

  it.scopedLive("headers over MAX_HEADER_BYTES are 431 in the module's body, and the socket is closed", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_HEADER_BYTES: "4096" })
      const epochs = yield* rawRequest(app.baseUrl, `GET /api/v1/zipcode-assignments/current HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(6000)}\r\n\r\n`)
      expect(epochs.status).toBe(431)
      expectEpochs(epochs.body, 431)
      expect(epochs.closed).toBe(true)
      const ark = yield* rawRequest(app.baseUrl, `GET /sessions HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 200 }, (_, i) => `X-H${i}: ${"v".repeat(30)}\r\n`).join("")}\r\n`)
      expect(ark.status).toBe(431)
      expectArk(ark.body, "HEADERS_TOO_LARGE")
      // Under the limit: served.
      const ok = yield* rawRequest(app.baseUrl, `GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Small: ${"s".repeat(1000)}\r\n\r\n`)
      expect(ok.status).toBe(200)
    }))

  it.scopedLive("a URL over MAX_URL_LENGTH is 414, also when it alone overflows the header limit", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_URL_LENGTH: "1024", MAX_HEADER_BYTES: "8192" })
      const long = yield* request(app.baseUrl, "GET", `/api/v1/packets/stuck?x=${"a".repeat(2000)}`)
      expect(long.status).toBe(414)
      expectClearing(long.body, "URI_TOO_LONG")
      const huge = yield* rawRequest(app.baseUrl, `GET /sessions/${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
      expect(huge.status).toBe(414)
      expectArk(huge.body, "URI_TOO_LONG")
      expect(huge.closed).toBe(true)
    }))

  it.scopedLive("a client that stalls in its headers or its body gets 408 and its socket closed", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ HEADERS_TIMEOUT_SECONDS: "1", REQUEST_TIMEOUT_SECONDS: "2" })
      const headers = yield* rawRequest(app.baseUrl, "GET /sessions HTTP/1.1\r\nHost: x\r\nX-Slow: ", 10_000)
      expect(headers.status).toBe(408)
      expectArk(headers.body, "REQUEST_TIMEOUT")
      expect(headers.closed).toBe(true)
      expect(headers.ms).toBeLessThan(8_000)

      const body = yield* rawRequest(
        app.baseUrl,
        `POST /api/v1/clearing/request-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"packets":`,
        10_000
      )
      expect(body.status).toBe(408)
      expectClearing(body.body, "REQUEST_TIMEOUT")
      expect(body.closed).toBe(true)
      expect(body.ms).toBeLessThan(8_000)
      // The server is fine afterwards.
      expect((yield* request(app.baseUrl, "GET", "/health")).status).toBe(200)
    }))

  it.scopedLive("connections over MAX_CONNECTIONS_PER_IP are answered 429 with Retry-After and closed; once others close, served", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_CONNECTIONS_PER_IP: "3" })
      const held = yield* Effect.promise(() => Promise.all([open(app.baseUrl), open(app.baseUrl), open(app.baseUrl)]))
      yield* Effect.sleep("100 millis")
      const fourth = yield* rawRequest(app.baseUrl, "GET /api/v1/zipcode-assignments/current HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(fourth.status).toBe(429)
      expect(fourth.headers["retry-after"]).toBe("1")
      expectEpochs(fourth.body, 429)
      expect(fourth.closed).toBe(true)
      for (const s of held) s.destroy()
      yield* Effect.sleep("100 millis")
      const after = yield* rawRequest(app.baseUrl, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      expect(after.status).toBe(200)
    }))
})

/** A WebSocket that records messages and its close code. */
const wsClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ ws: WebSocket; messages: Array<any>; closed: Promise<number> }>((resolve, reject) => {
        const ws = new WebSocket(url)
        const messages: Array<any> = []
        const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)))
        ws.on("message", (d) => messages.push(JSON.parse(String(d))))
        ws.once("open", () => resolve({ ws, messages, closed }))
        ws.once("error", reject)
      })
    ),
    ({ ws }) => Effect.sync(() => ws.terminate())
  )

describe("WebSocket limits on /api/v1/ws", () => {
  it.scopedLive("a message over WS_MAX_MESSAGE_BYTES closes the socket with 1009", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ JWT_SECRET, WS_MAX_MESSAGE_BYTES: "1024" })
      const c = yield* wsClient(`${app.baseUrl.replace("http", "ws")}/api/v1/ws`)
      c.ws.send(JSON.stringify({ type: "ping", pad: "p".repeat(900) }))
      while (c.messages.length === 0) yield* Effect.sleep("20 millis")
      c.ws.send(JSON.stringify({ type: "ping", pad: "p".repeat(2000) }))
      expect(yield* Effect.promise(() => c.closed)).toBe(1009)
      expect(c.messages).toEqual([{ type: "pong" }])
    }))

  it.scopedLive("more than WS_MAX_MESSAGES_PER_MINUTE messages get RATE_LIMITED and close 1008", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ JWT_SECRET, WS_MAX_MESSAGES_PER_MINUTE: "5" })
      const c = yield* wsClient(`${app.baseUrl.replace("http", "ws")}/api/v1/ws`)
      for (let i = 0; i < 50; i++) c.ws.send(JSON.stringify({ type: "ping" }))
      expect(yield* Effect.promise(() => c.closed)).toBe(1008)
      expect(c.messages.filter((m) => m.type === "pong")).toHaveLength(5)
      expect(c.messages.at(-1)).toMatchObject({ type: "error", error: { code: "RATE_LIMITED", details: { limit: 5 } } })
    }))

  it.scopedLive("a reader that stops reading is sent SLOW_CONSUMER and closed with 1013 once 1 MiB waits unsent", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ JWT_SECRET })
      const token = yield* Effect.promise(() =>
        new SignJWT({ user_id: "usr_slow", wallet_address: "osmo1slow", chain_id: "osmosis-1" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuedAt()
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode(JWT_SECRET))
      )
      const c = yield* wsClient(`${app.baseUrl.replace("http", "ws")}/api/v1/ws`)
      c.ws.send(JSON.stringify({ type: "auth", token: `Bearer ${token}` }))
      while (!c.messages.some((m) => m.type === "authenticated")) yield* Effect.sleep("20 millis")
      c.ws.send(JSON.stringify({ type: "subscribe", topics: ["clearing_status"] }))
      while (!c.messages.some((m) => m.type === "subscribed")) yield* Effect.sleep("20 millis")

      // The client stops reading; updates for it keep coming (about 40 MB offered).
      const socket = (c.ws as unknown as { readonly _socket: { pause: () => void; resume: () => void } })._socket
      socket.pause()
      const bus = Context.get(app.context, EventBus)
      for (let batch = 0; batch < 200; batch++) {
        yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) =>
          bus.publish(ClearingStatusTopic, {
            token: `tok-${batch}-${i}`, user_id: "usr_slow", wallet_address: "osmo1slow", chain_id: "osmosis-1", status: "clearing",
            packet_ids: [], tx_hash: null, reason: "r".repeat(4_000), timestamp: Date.now()
          }).pipe(Effect.orDie), { discard: true })
        yield* Effect.sleep("2 millis")
      }
      socket.resume()
      expect(yield* Effect.promise(() => c.closed)).toBe(1013)
      expect(c.messages.at(-1)).toMatchObject({ type: "error", error: { code: "SLOW_CONSUMER" } })
      // Far fewer than offered reached it: the rest was never buffered for it.
      expect(c.messages.length).toBeLessThan(10_000)
    }), { timeout: 60_000 })
})
