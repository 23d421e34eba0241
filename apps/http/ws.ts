import { HttpApiBuilder, HttpServerRequest, HttpServerResponse, Socket } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Clock, Deferred, Duration, Effect, Option, Queue, Ref, Schedule, Stream } from "effect"
import { WebSocketServer } from "ws"
import { ClearingStatusTopic, type ClearingStatusUpdate, type PacketUpdate, PacketUpdateTopic } from "../../core/clearing/model.js"
import { EventBus } from "../../ports/event-bus.js"
import { type ClearingUserClaims, JwtKey, verifyToken } from "./clearing/auth.js"
import { ClearingServiceUnavailable, ClearingValidationError, ServiceUnavailableBody, ValidationBody } from "./clearing/errors.js"
import { clearingStatusMessage, packetUpdateMessage } from "./clearing/views.js"
import { LimitsConfig } from "../config.js"
import { respondWith } from "./error-bodies.js"
import { upgradeHead, WS_MAX_BUFFERED_BYTES } from "./limits.js"

/*
 * WebSocket /api/v1/ws (Relayooor): `auth` with a bearer JWT, then
 * `subscribe` to `packet_updates` and/or `clearing_status` with optional
 * `chain_id` / `user_address` filters. Updates come from the same EventBus the
 * clearing core publishes to. Errors are `{ type: "error", error: { code, message, details } }`.
 * Liveness: the server sends `{type:"ping"}` every 30 s; a socket that sends
 * nothing (a `pong`, or anything else) for two intervals is closed.
 * Limits: a message over WS_MAX_MESSAGE_BYTES closes the socket with 1009
 * before it is buffered; more than WS_MAX_MESSAGES_PER_MINUTE with a
 * RATE_LIMITED error and 1008; a reader that leaves more than
 * WS_MAX_BUFFERED_BYTES unsent with a SLOW_CONSUMER error and 1013.
 */

export const MAX_CONNECTIONS_PER_USER = 5
export const PING_EVERY = Duration.seconds(30)
export const AUTH_WITHIN = Duration.seconds(10)
/** clearing_status updates a socket may lag behind before it loses the oldest (as a bus subscriber would). */
const CLEARING_BACKLOG = 1024

const TOPICS = { packet_updates: "packet_updates", packet_update: "packet_updates", clearing_status: "clearing_status" } as const
type Topic = (typeof TOPICS)[keyof typeof TOPICS]

export const CLOSE = { unauthorized: 4401, tooManyConnections: 4429, pingTimeout: 4408, policy: 1008, slowConsumer: 1013 } as const

interface Filters {
  readonly chain_id?: string
  readonly user_address?: string
}

interface Connection {
  readonly user: ClearingUserClaims | null
  readonly topics: ReadonlySet<Topic>
  readonly filters: Filters
  readonly lastSeen: number
}

const packetMatches = (f: Filters, u: PacketUpdate) =>
  (f.chain_id === undefined || u.chain_id === f.chain_id || u.dst_chain_id === f.chain_id) &&
  (f.user_address === undefined || u.sender === f.user_address || u.receiver === f.user_address)

const clearingMatches = (f: Filters, user: ClearingUserClaims, u: ClearingStatusUpdate) =>
  u.user_id === user.user_id &&
  (f.chain_id === undefined || u.chain_id === f.chain_id) &&
  (f.user_address === undefined || u.wallet_address === f.user_address)

const stringField = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === "string" && o[k] !== "" ? o[k] : undefined)

export const ClearingWsLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const key = yield* JwtKey
    /** Open authenticated sockets per user, in this process. */
    const perUser = yield* Ref.make(new Map<string, number>())
    const limits = yield* LimitsConfig.pipe(Effect.orDie)
    // Our own upgrade, not the platform's: its server takes ws's 100 MiB default message size.
    const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: limits.wsMaxMessageBytes })

    /*
     * A clearing_status belongs to one user. One bus subscription per process
     * hands each update to the queues of that user's authenticated sockets
     * only, so an update costs O(that user's sockets) rather than a pass
     * through every socket's stream (N updates to N users were N² work).
     * Each socket drains its own sliding queue, so a closing or slow socket
     * never holds up the others.
     */
    const clearingQueues = new Map<string, Set<Queue.Queue<ClearingStatusUpdate>>>()
    const clearingsActive = yield* Deferred.make<void>()
    yield* Effect.gen(function*() {
      const updates = yield* bus.subscribe(ClearingStatusTopic)
      yield* Deferred.succeed(clearingsActive, undefined)
      yield* Stream.runForEach(updates, (u) => {
        const queues = clearingQueues.get(u.user_id)
        return queues === undefined ? Effect.void : Effect.forEach(queues, (q) => Queue.offer(q, u), { discard: true })
      })
    }).pipe(
      Effect.scoped,
      Effect.tapError((e) => Effect.logWarning("clearing_status subscription lost; resubscribing", e.message)),
      Effect.retry(Schedule.spaced(Duration.seconds(1))),
      Effect.forkScoped
    )

    const serve = (socket: Socket.Socket, unsent: () => number) =>
      Effect.gen(function*() {
        const write = yield* socket.writer
        let slow = false
        const send = (message: unknown): Effect.Effect<void> =>
          slow
            ? Effect.void
            : unsent() > WS_MAX_BUFFERED_BYTES
            ? Effect.sync(() => (slow = true)).pipe(
              Effect.zipRight(write(JSON.stringify({ type: "error", error: { code: "SLOW_CONSUMER", message: "too many unread messages", details: { limit_bytes: WS_MAX_BUFFERED_BYTES } } }))),
              Effect.zipRight(write(new Socket.CloseEvent(CLOSE.slowConsumer, "slow consumer"))),
              Effect.ignore
            )
            : write(JSON.stringify(message)).pipe(Effect.ignore)
        const fail = (code: string, message: string, details: Record<string, unknown> = {}) =>
          send({ type: "error", error: { code, message, details } })
        const close = (code: number, reason: string) => write(new Socket.CloseEvent(code, reason)).pipe(Effect.ignore)
        const state = yield* Ref.make<Connection>({ user: null, topics: new Set(), filters: {}, lastSeen: yield* Clock.currentTimeMillis })
        const lock = yield* Effect.makeSemaphore(1)

        // Subscribed before the first message is read, so nothing published after `subscribed` is missed.
        const packets = yield* bus.subscribe(PacketUpdateTopic).pipe(Effect.orDie)
        yield* Deferred.await(clearingsActive)
        const clearings = yield* Queue.sliding<ClearingStatusUpdate>(CLEARING_BACKLOG)

        const release = Effect.flatMap(Ref.get(state), (s) =>
          s.user === null ? Effect.void : Effect.sync(() => {
            const queues = clearingQueues.get(s.user!.user_id)
            queues?.delete(clearings)
            if (queues?.size === 0) clearingQueues.delete(s.user!.user_id)
          }).pipe(Effect.zipRight(Ref.update(perUser, (m) => {
            const next = new Map(m)
            const n = (next.get(s.user!.user_id) ?? 1) - 1
            if (n <= 0) next.delete(s.user!.user_id)
            else next.set(s.user!.user_id, n)
            return next
          }))))
        yield* Effect.addFinalizer(() => release)

        const authenticate = (token: unknown) =>
          Effect.gen(function*() {
            if ((yield* Ref.get(state)).user !== null) return yield* fail("ALREADY_AUTHENTICATED", "this connection is already authenticated")
            const verified = yield* Effect.either(verifyToken(typeof token === "string" ? token : "", key))
            if (verified._tag === "Left") {
              const e = verified.left
              yield* fail(e._tag === "Unauthorized" ? "UNAUTHORIZED" : "SERVICE_UNAVAILABLE", e.message)
              return yield* close(CLOSE.unauthorized, "unauthorized")
            }
            const user = verified.right
            const admitted = yield* Ref.modify(perUser, (m) => {
              const n = m.get(user.user_id) ?? 0
              return n >= MAX_CONNECTIONS_PER_USER ? [false, m] as const : [true, new Map(m).set(user.user_id, n + 1)] as const
            })
            if (!admitted) {
              yield* fail("TOO_MANY_CONNECTIONS", `at most ${MAX_CONNECTIONS_PER_USER} connections per user`, { limit: MAX_CONNECTIONS_PER_USER })
              return yield* close(CLOSE.tooManyConnections, "too many connections")
            }
            yield* Ref.update(state, (s) => ({ ...s, user }))
            yield* Effect.sync(() => {
              const queues = clearingQueues.get(user.user_id) ?? new Set()
              clearingQueues.set(user.user_id, queues.add(clearings))
            })
            yield* send({ type: "authenticated", data: { user_id: user.user_id, wallet_address: user.wallet_address } })
          })

        const subscribe = (msg: Record<string, unknown>) =>
          Effect.gen(function*() {
            const s = yield* Ref.get(state)
            if (s.user === null) return yield* fail("UNAUTHORIZED", "send an auth message with a bearer token first")
            const requested = Array.isArray(msg["topics"]) ? msg["topics"] : []
            const unknown = requested.filter((t) => typeof t !== "string" || !(t in TOPICS))
            if (requested.length === 0 || unknown.length > 0) {
              return yield* fail("INVALID_MESSAGE", "topics must be a non-empty list of packet_updates, clearing_status", { unknown })
            }
            const raw = typeof msg["filters"] === "object" && msg["filters"] !== null ? msg["filters"] as Record<string, unknown> : {}
            const chain = stringField(raw, "chain_id")
            const address = stringField(raw, "user_address")
            const filters: Filters = { ...(chain === undefined ? {} : { chain_id: chain }), ...(address === undefined ? {} : { user_address: address }) }
            const topics = new Set([...s.topics, ...requested.map((t) => TOPICS[t as keyof typeof TOPICS])])
            yield* Ref.set(state, { ...s, topics, filters })
            yield* send({ type: "subscribed", data: { topics: Array.from(topics), filters } })
          })

        // Counted before the lock, so a flood is cut off without queueing a fiber per message.
        const rate = { windowStart: yield* Clock.currentTimeMillis, count: 0 }
        const onMessage = (data: string | Uint8Array) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            if (now - rate.windowStart >= 60_000) Object.assign(rate, { windowStart: now, count: 0 })
            rate.count++
            if (rate.count <= limits.wsMaxMessagesPerMinute) return handle(data)
            if (rate.count > limits.wsMaxMessagesPerMinute + 1) return Effect.void
            return fail("RATE_LIMITED", `more than ${limits.wsMaxMessagesPerMinute} messages per minute`, { limit: limits.wsMaxMessagesPerMinute }).pipe(
              Effect.zipRight(close(CLOSE.policy, "message rate exceeded"))
            )
          })

        const handle = (data: string | Uint8Array) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            yield* Ref.update(state, (s) => ({ ...s, lastSeen: now }))
            let msg: unknown
            try {
              msg = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data))
            } catch {
              return yield* fail("INVALID_MESSAGE", "messages must be JSON objects")
            }
            if (typeof msg !== "object" || msg === null) return yield* fail("INVALID_MESSAGE", "messages must be JSON objects")
            const m = msg as Record<string, unknown>
            switch (m["type"]) {
              case "auth":
                return yield* authenticate(m["token"])
              case "subscribe":
                return yield* subscribe(m)
              case "unsubscribe": {
                const drop = new Set((Array.isArray(m["topics"]) ? m["topics"] : []).map((t) => TOPICS[t as keyof typeof TOPICS]))
                yield* Ref.update(state, (s) => ({ ...s, topics: new Set([...s.topics].filter((t) => !drop.has(t))) }))
                return yield* send({ type: "unsubscribed", data: { topics: Array.from(drop) } })
              }
              case "ping":
                return yield* send({ type: "pong" })
              case "pong":
                return
              default:
                return yield* fail("INVALID_MESSAGE", `unknown message type ${JSON.stringify(m["type"])}`)
            }
          }))

        yield* packets.pipe(
          Stream.runForEach((u) =>
            Effect.flatMap(Ref.get(state), (s) =>
              s.user !== null && s.topics.has("packet_updates") && packetMatches(s.filters, u) ? send(packetUpdateMessage(u)) : Effect.void)),
          Effect.forkScoped
        )
        yield* Stream.fromQueue(clearings).pipe(
          Stream.runForEach((u) =>
            Effect.flatMap(Ref.get(state), (s) =>
              s.user !== null && s.topics.has("clearing_status") && clearingMatches(s.filters, s.user, u)
                ? send(clearingStatusMessage(u))
                : Effect.void)),
          Effect.forkScoped
        )
        yield* Effect.gen(function*() {
          const s = yield* Ref.get(state)
          if (s.user === null) {
            yield* fail("UNAUTHORIZED", `authenticate within ${Duration.format(AUTH_WITHIN)}`)
            yield* close(CLOSE.unauthorized, "no auth")
          }
        }).pipe(Effect.delay(AUTH_WITHIN), Effect.forkScoped)
        yield* Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const s = yield* Ref.get(state)
          if (now - s.lastSeen > Duration.toMillis(PING_EVERY) * 2) {
            yield* fail("PING_TIMEOUT", "no message or pong within two ping intervals")
            return yield* close(CLOSE.pingTimeout, "ping timeout")
          }
          yield* send({ type: "ping" })
        }).pipe(Effect.repeat(Schedule.spaced(PING_EVERY)), Effect.delay(PING_EVERY), Effect.forkScoped)

        yield* socket.runRaw(onMessage).pipe(Effect.catchAll(() => Effect.void))
      }).pipe(Effect.scoped)

    yield* router.get(
      "/api/v1/ws",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (Option.isNone(key)) {
          return respondWith(ServiceUnavailableBody, new ClearingServiceUnavailable({ dependency: "JWT_SECRET", reason: "authentication is not configured on this server" }))
        }
        if ((request.headers["upgrade"] ?? "").toLowerCase() !== "websocket") {
          return respondWith(ValidationBody, new ClearingValidationError({ problems: ["expected a WebSocket upgrade request"] }))
        }
        const incoming = NodeHttpServerRequest.toIncomingMessage(request)
        const raw = incoming.socket
        let unsent = () => 0
        const socket = yield* Socket.fromWebSocket(
          Effect.acquireRelease(
            Effect.async<globalThis.WebSocket>((resume) =>
              wss.handleUpgrade(incoming, raw, upgradeHead(incoming), (ws) => {
                unsent = () => ws.bufferedAmount
                resume(Effect.succeed(ws as unknown as globalThis.WebSocket))
              })
            ),
            // 1001: the server is going away (shutdown); a socket the client already closed ignores it.
            (ws) => Effect.sync(() => ws.close(1001, "server shutting down"))
          )
        )
        yield* serve(socket, () => unsent())
        // The socket is the WebSocket's now: answer only once it is gone, so nothing is written to it.
        yield* Effect.async<void>((resume) => {
          if (raw.destroyed) return resume(Effect.void)
          raw.once("close", () => resume(Effect.void))
        })
        return HttpServerResponse.empty()
      })
    )
  })
)
