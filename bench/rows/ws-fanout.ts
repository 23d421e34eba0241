import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { SignJWT } from "jose"
import WebSocket from "ws"
import { ClearingStatusTopic } from "../../core/clearing/model.js"
import { sampleStatusUpdate } from "../../test/support/clearing.js"
import { quantile, row } from "../harness.js"
import { appProcess } from "./app-process.js"

const SUBSCRIBERS = 1_000
const SAMPLES = 25
const REDIS_URL = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"
const JWT_SECRET = randomBytes(32).toString("hex")

interface Subscriber {
  readonly socket: WebSocket
  /** Called with each clearing_status token as it arrives. */
  onStatus: (token: string) => void
}

const tokenFor = (userId: string) =>
  new SignJWT({ user_id: userId }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET))

/** An authenticated socket subscribed to clearing_status for `userId`. */
const subscribe = (wsUrl: string, userId: string) =>
  tokenFor(userId).then((token) =>
    new Promise<Subscriber>((resolve, reject) => {
      const socket = new WebSocket(wsUrl)
      const sub: Subscriber = { socket, onStatus: () => {} }
      const timer = setTimeout(() => reject(new Error(`${userId}: no subscription within 60 s`)), 60_000)
      socket.on("error", reject)
      socket.on("open", () => socket.send(JSON.stringify({ type: "auth", token: `Bearer ${token}` })))
      socket.on("message", (raw) => {
        const m = JSON.parse(String(raw)) as { type: string; data?: { token_id?: string } }
        if (m.type === "authenticated") socket.send(JSON.stringify({ type: "subscribe", topics: ["clearing_status"] }))
        else if (m.type === "subscribed") {
          clearTimeout(timer)
          resolve(sub)
        } else if (m.type === "clearing_status") sub.onStatus(m.data?.token_id ?? "")
        else if (m.type === "ping") socket.send(JSON.stringify({ type: "pong" }))
      })
    })
  )

/**
 * Publishes one clearing_status for `target` on the app's Redis channel (as
 * another replica's clearing core would) and resolves with its delivery
 * latency in ms, publish to message in hand. Only the target's socket is
 * handed the update.
 */
const deliver = (redis: Redis, channel: string, target: Subscriber, userId: string, token: string) =>
  new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${token}: not delivered within 60 s`)), 60_000)
    const t0 = performance.now()
    target.onStatus = (got) => {
      if (got !== token) return
      clearTimeout(timer)
      resolve(performance.now() - t0)
    }
    redis.publish(channel, JSON.stringify(sampleStatusUpdate(userId, token))).catch(reject)
  })

/**
 * Row 8: p99 delivery latency of a clearing_status over the WebSocket with
 * 1,000 subscribers connected against one. A clearing_status belongs to one
 * user (only that user's sockets get it, at most 5 per user), so here 1,000
 * users each hold one socket and only the update's own user's sockets are
 * handed it. The app runs on Redis so updates come
 * from outside it, as from another replica.
 */
export const wsFanout = Effect.scoped(Effect.gen(function*() {
  const prefix = `relaygate-bench-${randomBytes(4).toString("hex")}:`
  const app = yield* appProcess({ REDIS_URL, REDIS_KEY_PREFIX: prefix, JWT_SECRET, MAX_CONNECTIONS_PER_IP: "0" })
  const redis = yield* Effect.acquireRelease(Effect.sync(() => new Redis(REDIS_URL)), (r) => Effect.promise(() => r.quit()))
  const channel = `${prefix}events:${ClearingStatusTopic.name}`
  const wsUrl = `${app.url.replace("http", "ws")}/api/v1/ws`
  const subs: Array<Subscriber> = []
  yield* Effect.addFinalizer(() => Effect.sync(() => subs.forEach((s) => s.socket.terminate())))

  subs.push(yield* Effect.promise(() => subscribe(wsUrl, "u0")))
  const solo: Array<number> = []
  for (let i = 0; i < SAMPLES; i++) solo.push(yield* Effect.promise(() => deliver(redis, channel, subs[0]!, "u0", `solo-${i}`)))

  for (let i = 1; i < SUBSCRIBERS; i += 100) {
    subs.push(...yield* Effect.promise(() => Promise.all(Array.from({ length: Math.min(100, SUBSCRIBERS - i) }, (_, k) => subscribe(wsUrl, `u${i + k}`)))))
  }
  const many: Array<number> = []
  for (let i = 0; i < SAMPLES; i++) {
    const k = (i * 397) % SUBSCRIBERS
    many.push(yield* Effect.promise(() => deliver(redis, channel, subs[k]!, `u${k}`, `many-${i}`)))
  }

  const p99Many = quantile(many, 0.99)
  const p99Solo = quantile(solo, 0.99)
  return row({
    id: 8,
    name: "WebSocket clearing_status fan-out",
    ours: { label: `${SUBSCRIBERS} subscribers connected, ${SAMPLES} updates, p50 ${quantile(many, 0.5).toFixed(1)} ms`, value: p99Many, unit: "ms p99" },
    baseline: { label: `1 subscriber, ${SAMPLES} updates, p50 ${quantile(solo, 0.5).toFixed(1)} ms`, value: p99Solo, unit: "ms p99" }
  })
}))
