import { describe, expect, it } from "@effect/vitest"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Effect, HashMap, Logger, Option, TestClock } from "effect"
import { Commitments } from "../../../core/epochs/commitments.js"
import { devPair, signHex } from "../../support/epochs.js"
import { request, type JsonResponse, type RunningApp, startApp } from "../../support/http-app.js"
import { wallet } from "../../support/wallet.js"

/*
 * The fast path (apps/http/fast-path.ts) against the routes it bypasses: the
 * same requests, in the same order, to an app with it and one without
 * (HTTP_FAST_PATH=false) must get the same statuses, headers and bodies, with
 * only generated ids and times differing. The first verifies on a thread
 * (VERIFY_THREADS=1, the default), the second on its event loop.
 */

const T0 = Date.UTC(2025, 9, 1, 17, 0, 0)
const ENV = { EPOCH_SECRET: "fast-path-secret", MAX_CONNECTIONS_PER_IP: "0" }

/** Generated ids, keys, nonces and signatures (each app has its own), wherever they appear in a string. */
const generated = (s: string) =>
  s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>").replace(/[0-9a-fA-F]{32,}/g, "<hex>")

const normalize = (value: unknown): unknown => {
  if (typeof value === "string") return generated(value)
  if (Array.isArray(value)) return value.map(normalize)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]))
  }
  return value
}

const HEADERS = [
  "content-type",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "content-security-policy",
  "x-request-id",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "retry-after",
  "connection"
]

const observed = (r: JsonResponse) => ({
  status: r.status,
  headers: Object.fromEntries(HEADERS.map((h) => [h, normalize(r.headers.get(h))])),
  hasRateLimitReset: r.headers.has("x-ratelimit-reset"),
  body: normalize(r.body)
})

const both = Effect.gen(function*() {
  yield* TestClock.setTime(T0)
  // As served by default: the fast path, signatures checked on a verifier thread; against the router verifying in-loop.
  const fast = yield* startApp({ ...ENV, VERIFY_THREADS: "1" })
  const routed = yield* startApp({ ...ENV, HTTP_FAST_PATH: "false", VERIFY_THREADS: "0" })
  return { fast, routed }
})

/** Runs one scenario against an app; returns what each step observed. */
type Scenario = (app: RunningApp) => Effect.Effect<ReadonlyArray<JsonResponse>>

const compare = (scenario: Scenario) =>
  Effect.gen(function*() {
    const { fast, routed } = yield* both
    const a = yield* scenario(fast)
    const b = yield* scenario(routed)
    expect(a.map(observed)).toEqual(b.map(observed))
    expect(routed.fastPathServed()).toBe(0)
    return { fast, responses: a }
  })

const json = (app: RunningApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  request(app.baseUrl, method, path, body, body === undefined ? { headers } : {
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers }
  })

/** A session with a live challenge, signed by its owner's key. */
const challenged = (app: RunningApp) =>
  Effect.gen(function*() {
    const owner = wallet()
    const created = yield* json(app, "POST", "/sessions/create", {
      user_pubkey: owner.pubkey,
      session_type: "p2p_transfer",
      intent_data: { recipient_pubkey: wallet().pubkey, amount: 1000, asset_id: "BTC" }
    })
    const id = created.body.session_id as string
    const challenge = yield* json(app, "POST", `/sessions/${id}/challenge`)
    return { id, owner, signature: owner.sign(challenge.body.challenge_data) }
  })

const signedCurrent = (pair: KeyringPair, timestamp: number, signature = signHex(pair, Commitments.currentAssignment(timestamp))) =>
  `/api/v1/zipcode-assignments/current?${new URLSearchParams({ hotkey: pair.address, signature, timestamp: String(timestamp) })}`

describe("fast path", () => {
  it.scoped("POST /sessions/{id}/respond answers as the router does: valid, 0x, replayed, wrong key, bad signatures, unknown session", () =>
    Effect.gen(function*() {
      const { fast, responses } = yield* compare((app) =>
        Effect.gen(function*() {
          const s = yield* challenged(app)
          const ok = yield* json(app, "POST", `/sessions/${s.id}/respond`, { signature: s.signature, user_pubkey: s.owner.pubkey }, { "x-request-id": "req-1" })
          const replayed = yield* json(app, "POST", `/sessions/${s.id}/respond`, { signature: s.signature })
          const t = yield* challenged(app)
          const prefixed = yield* json(app, "POST", `/sessions/${t.id}/respond`, { signature: `0x${t.signature}` })
          const u = yield* challenged(app)
          const otherKey = yield* json(app, "POST", `/sessions/${u.id}/respond`, { signature: u.signature, user_pubkey: wallet().pubkey })
          const forged = [] as Array<JsonResponse>
          for (let i = 0; i < 3; i++) forged.push(yield* json(app, "POST", `/sessions/${u.id}/respond`, { signature: "ab".repeat(64) }))
          const afterFailure = yield* json(app, "POST", `/sessions/${u.id}/respond`, { signature: u.signature })
          const unknown = yield* json(app, "POST", `/sessions/00000000-0000-4000-8000-000000000000/respond`, { signature: "ab".repeat(64) })
          return [ok, replayed, prefixed, otherKey, ...forged, afterFailure, unknown]
        })
      )
      expect(responses[0]!.status).toBe(200)
      expect(responses[0]!.headers.get("x-request-id")).toBe("req-1")
      expect(responses[0]!.body).toMatchObject({ verified: true, challenge: { is_used: true } })
      expect(responses.slice(4, 7).every((r) => r.status === 401)).toBe(true)
      expect(fast.fastPathServed()).toBe(responses.length)
    }))

  it.scoped("hands back what the router answers itself, before any use case runs: bad JSON, bad fields, bad ids, other content types", () =>
    Effect.gen(function*() {
      const { fast, responses } = yield* compare((app) =>
        Effect.gen(function*() {
          const s = yield* challenged(app)
          const notJson = yield* json(app, "POST", `/sessions/${s.id}/respond`, "{\"signature\":")
          const tooDeep = yield* json(app, "POST", `/sessions/${s.id}/respond`, `${"[".repeat(100)}${"]".repeat(100)}`)
          const noSignature = yield* json(app, "POST", `/sessions/${s.id}/respond`, { user_pubkey: s.owner.pubkey })
          const shortSignature = yield* json(app, "POST", `/sessions/${s.id}/respond`, { signature: "abcd" })
          const badId = yield* json(app, "POST", `/sessions/not-a-session/respond`, { signature: s.signature })
          const text = yield* request(app.baseUrl, "POST", `/sessions/${s.id}/respond`, undefined, {
            body: JSON.stringify({ signature: s.signature }),
            headers: { "content-type": "text/plain" }
          })
          // Nothing above touched the session: its challenge still verifies.
          const ok = yield* json(app, "POST", `/sessions/${s.id}/respond`, { signature: s.signature })
          return [notJson, tooDeep, noSignature, shortSignature, badId, text, ok]
        })
      )
      expect(responses.slice(0, 4).map((r) => r.status)).toEqual([400, 400, 400, 400])
      expect(responses.at(-1)!.status).toBe(200)
      // The fast path answered the unknown id (a well-formed one: the use case says 404) and the last one;
      // the others went back to the routes.
      expect(responses[4]!.status).toBe(404)
      expect(fast.fastPathServed()).toBe(2)
    }))

  it.scoped("GET /api/v1/zipcode-assignments/current answers as the router does: rate-limit headers, 401, reuse, stale, malformed, 429", () =>
    Effect.gen(function*() {
      const pair = devPair("//FastPathMiner")
      const { fast, responses } = yield* compare((app) =>
        Effect.gen(function*() {
          const now = Math.floor(T0 / 1000)
          const path = signedCurrent(pair, now)
          const ok = yield* json(app, "GET", path)
          const reused = yield* json(app, "GET", path)
          const forged = yield* json(app, "GET", signedCurrent(pair, now + 1, "ab".repeat(64)))
          const stale = yield* json(app, "GET", signedCurrent(pair, now - 3600))
          const malformed = yield* json(app, "GET", `/api/v1/zipcode-assignments/current?hotkey=nope&timestamp=soon`)
          const rest = [] as Array<JsonResponse>
          // 10 per minute per hotkey: ok, reused and forged counted 3, so the 8th of these is the 11th.
          for (let i = 2; i < 10; i++) rest.push(yield* json(app, "GET", signedCurrent(pair, now + i)))
          return [ok, reused, forged, stale, malformed, ...rest]
        })
      )
      expect(responses[0]!.status).toBe(200)
      expect(responses[0]!.headers.get("x-ratelimit-remaining")).toBe("9")
      expect(responses.map((r) => r.status).slice(1, 5)).toEqual([401, 401, 400, 400])
      expect(responses.at(-1)!.status).toBe(429)
      expect(responses.at(-1)!.headers.get("retry-after")).not.toBeNull()
      expect(fast.fastPathServed()).toBe(responses.length)
    }))

  it.scoped("puts the request's id on every log line the request causes", () =>
    Effect.gen(function*() {
      const lines: Array<{ readonly message: string; readonly requestId: unknown }> = []
      const capture = Logger.make(({ annotations, message }) => {
        lines.push({ message: String(message), requestId: Option.getOrUndefined(HashMap.get(annotations, "request_id")) })
      })
      const app = yield* startApp(ENV).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      const s = yield* challenged(app)
      const served = app.fastPathServed()
      yield* json(app, "POST", `/sessions/${s.id}/respond`, { signature: s.signature }, { "x-request-id": "req-logged" })
      expect(app.fastPathServed()).toBe(served + 1)
      const accepted = lines.filter((l) => l.message.includes("SignatureAccepted"))
      expect(accepted).toHaveLength(1)
      expect(accepted[0]!.requestId).toBe("req-logged")
    }))
})
