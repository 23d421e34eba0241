import { AbstractRelay, type Subscription } from "nostr-tools/abstract-relay"
import type { Filter } from "nostr-tools/filter"
import { finalizeEvent } from "nostr-tools/pure"
import { Clock, Deferred, Duration, Effect, Exit, Layer, Option, Queue, Random, type Scope, Stream } from "effect"
import WebSocket from "ws"
import {
  type Delivered,
  type DirectMessage,
  DROP_REASONS,
  type DropReason,
  type EventTemplate,
  NostrBus,
  NostrDecryptFailed,
  type NostrEvent,
  NostrInvalidPeer,
  type NostrFilter,
  NostrPublishFailed,
  type PublishOptions,
  type PublishReport,
  type RelayConnectionStatus,
  type RelayState
} from "../../ports/nostr-bus.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { GIFT_WRAP_BACKDATE_SECONDS, GIFT_WRAP_KIND, isEventShape, isPoint, makeCipher, verifyEvent } from "./crypto.js"

/*
 * NostrBus over nostr-tools' AbstractRelay and `ws`, one connection per
 * relay. nostr-tools' own reconnect is not used: it gives up for good when the
 * first attempt fails, and on resubscription it moves `since` to the newest
 * `created_at` it has seen — including that of events that failed
 * verification, and of gift wraps, which are back-dated by design, so it
 * would skip real messages. Here each relay has a loop that connects, renews
 * every open subscription with its original filters, re-sends what the relay
 * missed, and after a drop waits with exponential backoff and jitter.
 */

export interface NostrBusSettings {
  readonly relays: ReadonlyArray<string>
  readonly privateKey: Uint8Array
  /** Opening a connection. Default 5 s. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Waiting for a relay's OK. Default 5 s. */
  readonly publishTimeout?: Duration.DurationInput | undefined
  /** First and longest wait between connection attempts. Default 250 ms and 30 s. */
  readonly backoff?: { readonly initial: Duration.DurationInput; readonly max: Duration.DurationInput } | undefined
  /** How long an event id is remembered for de-duplication. Default 3 days (longer than the gift-wrap look-back). */
  readonly dedupeWindow?: Duration.DurationInput | undefined
  /** Events received and not yet verified, per subscription; past it new ones are dropped. Default INBOX_CAPACITY. */
  readonly inboxCapacity?: number | undefined
}

/** Per relay: at most this many unaccepted events are kept for re-sending (oldest dropped first). */
const MAX_PENDING = 1_000
/** Ids remembered per subscription at most, whatever the window (oldest forgotten first). */
const MAX_SEEN = 200_000
/** Events received and not yet verified, per subscription (about 20 s of verification at ~500/s). */
export const INBOX_CAPACITY = 10_000

interface Connection {
  readonly url: string
  status: RelayConnectionStatus
  relay: AbstractRelay | undefined
  connectedSince: number | null
  failures: number
  lastError: string | null
  received: number
  invalid: number
  readonly dropped: Record<DropReason, number>
  readonly pending: Map<string, { readonly event: NostrEvent; readonly until: number }>
  readonly firstAttempt: Deferred.Deferred<void>
}

interface OpenSubscription {
  readonly filters: ReadonlyArray<NostrFilter>
  readonly inbox: Queue.Queue<{ readonly raw: unknown; readonly conn: Connection }>
  readonly handles: Map<string, Subscription>
}

const noDrops = (): Record<DropReason, number> =>
  Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>

/** Malformed, unverifiable and off-filter events are also the relay's `invalid_events`. */
const drop = (conn: Connection, reason: DropReason) => {
  conn.dropped[reason]++
  if (reason === "malformed" || reason === "invalid_signature" || reason === "filter_mismatch") conn.invalid++
}

const messageOf = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === "string" ? e : typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)

/** nostr-tools mutates the filters it is given (reconnect `since`); every relay gets its own copy. */
const copyFilters = (filters: ReadonlyArray<NostrFilter>): Array<Filter> =>
  filters.map((f) => JSON.parse(JSON.stringify(f)) as Filter)

export const normalizeRelayUrl = (url: string): string => {
  const u = new URL(url.trim())
  return u.toString().replace(/\/$/, "")
}

export const make = (settings: NostrBusSettings): Effect.Effect<typeof NostrBus.Service, never, Scope.Scope | SchnorrVerifier> =>
  Effect.gen(function*() {
    const verifier = yield* SchnorrVerifier
    const verify = verifyEvent(verifier)
    const cipher = makeCipher(settings.privateKey)
    const unwrap = cipher.unwrap(verifier)
    const connectTimeoutMs = Duration.toMillis(settings.connectTimeout ?? "5 seconds")
    const publishTimeoutMs = Duration.toMillis(settings.publishTimeout ?? "5 seconds")
    const backoffInitial = Duration.toMillis(settings.backoff?.initial ?? "250 millis")
    const backoffMax = Duration.toMillis(settings.backoff?.max ?? "30 seconds")
    const dedupeMs = Duration.toMillis(settings.dedupeWindow ?? "3 days")
    const secretKey = Uint8Array.from(settings.privateKey)

    const urls = Array.from(new Set(settings.relays.map(normalizeRelayUrl)))
    const connections: Array<Connection> = yield* Effect.forEach(urls, (url) =>
      Deferred.make<void>().pipe(Effect.map((firstAttempt): Connection => ({
        url,
        status: "connecting",
        relay: undefined,
        connectedSince: null,
        failures: 0,
        lastError: null,
        received: 0,
        invalid: 0,
        dropped: noDrops(),
        pending: new Map(),
        firstAttempt
      }))))
    const subscriptions = new Set<OpenSubscription>()

    /** Opens the subscription on one relay; `onEose` runs once the relay has sent what it stored. */
    const openOn = (sub: OpenSubscription, conn: Connection, onEose: () => void = () => {}) => {
      const relay = conn.relay
      let done = false
      const once = () => {
        if (!done) (done = true), onEose()
      }
      if (relay === undefined) return once()
      sub.handles.get(conn.url)?.close()
      sub.handles.set(conn.url, relay.subscribe(copyFilters(sub.filters), {
        onevent: (raw) => {
          if (!Queue.unsafeOffer(sub.inbox, { raw, conn })) drop(conn, "inbox_full")
        },
        oneose: once,
        onclose: once,
        // nostr-tools' own verification is off (verifyEvent above), so only filter mismatches land here.
        oninvalidevent: () => drop(conn, "filter_mismatch")
      }))
    }

    /** Sends one event to one relay: accepted, refused by the relay, or not delivered (retry later). */
    const sendTo = (conn: Connection, event: NostrEvent) =>
      Effect.async<{ readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retry: boolean }>((resume) => {
        const relay = conn.relay
        if (relay === undefined || conn.status !== "connected") {
          resume(Effect.succeed({ ok: false, reason: "not connected", retry: true }))
          return
        }
        relay.publish(event as Parameters<AbstractRelay["publish"]>[0]).then(
          () => resume(Effect.succeed({ ok: true })),
          (e) => {
            const reason = messageOf(e)
            // An OK false from the relay is a verdict; a timeout or a closed socket is not.
            const retry = /timed out|closed|connection|not connected/i.test(reason)
            resume(Effect.succeed({ ok: false, reason, retry }))
          }
        )
      })

    const flushPending = (conn: Connection) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (const [id, entry] of Array.from(conn.pending)) {
          if (entry.until <= now) {
            conn.pending.delete(id)
            continue
          }
          const r = yield* sendTo(conn, entry.event)
          if (r.ok || !r.retry) conn.pending.delete(id)
          if (r.ok) yield* Effect.logDebug("re-sent event after reconnect").pipe(Effect.annotateLogs({ relay: conn.url, event_id: id }))
        }
      })

    /** One connection's life: open, renew subscriptions, re-send, wait until it drops. True when it was open. */
    const session = (conn: Connection) =>
      Effect.gen(function*() {
        const closed = yield* Deferred.make<string>()
        const relay = new AbstractRelay(conn.url, {
          // Verified in `deliveries` below, with libsecp256k1 and without nostr-tools' cached verdicts.
          verifyEvent: () => true,
          websocketImplementation: WebSocket as unknown as typeof globalThis.WebSocket,
          enablePing: true
        })
        relay.publishTimeout = publishTimeoutMs
        relay.onnotice = () => {}
        relay.onclose = () => Deferred.unsafeDone(closed, Exit.succeed("connection closed"))
        const opened = yield* Effect.async<void, string>((resume) => {
          relay.connect({ timeout: connectTimeoutMs }).then(
            () => resume(Effect.void),
            (e) => resume(Effect.fail(messageOf(e)))
          )
          return Effect.sync(() => relay.close())
        }).pipe(Effect.either)
        if (opened._tag === "Left") {
          relay.close()
          conn.status = "disconnected"
          conn.failures++
          conn.lastError = opened.left
          return false
        }
        return yield* Effect.gen(function*() {
          conn.relay = relay
          conn.status = "connected"
          conn.connectedSince = yield* Clock.currentTimeMillis
          yield* Effect.logInfo("relay connected").pipe(Effect.annotateLogs({ relay: conn.url }))
          for (const sub of subscriptions) openOn(sub, conn)
          yield* Deferred.succeed(conn.firstAttempt, undefined)
          yield* flushPending(conn).pipe(Effect.forkScoped)
          const reason = yield* Deferred.await(closed)
          conn.failures++
          conn.lastError = reason
          yield* Effect.logWarning("relay connection lost").pipe(Effect.annotateLogs({ relay: conn.url, reason }))
          return true
        }).pipe(
          Effect.scoped,
          Effect.ensuring(Effect.sync(() => {
            conn.relay = undefined
            conn.status = "disconnected"
            conn.connectedSince = null
            for (const sub of subscriptions) sub.handles.delete(conn.url)
            relay.onclose = null
            relay.close()
          }))
        )
      })

    const keepConnected = (conn: Connection) =>
      Effect.gen(function*() {
        let attempt = 0
        while (true) {
          conn.status = "connecting"
          const wasOpen = yield* session(conn)
          yield* Deferred.succeed(conn.firstAttempt, undefined)
          attempt = wasOpen ? 0 : attempt + 1
          const ceiling = Math.min(backoffMax, backoffInitial * 2 ** Math.min(attempt, 20))
          const wait = Math.round(ceiling * (0.5 + (yield* Random.next) / 2))
          yield* Effect.logDebug("relay reconnect scheduled").pipe(
            Effect.annotateLogs({ relay: conn.url, attempt, wait_ms: wait, reason: conn.lastError ?? "" })
          )
          yield* Effect.sleep(Duration.millis(wait))
        }
      })

    yield* Effect.forEach(connections, (c) => Effect.forkScoped(keepConnected(c)), { discard: true })
    // Start-up waits for every relay's first attempt (bounded by its timeout), so
    // what is subscribed or published next sees the connections that could open.
    yield* Effect.forEach(connections, (c) => Deferred.await(c.firstAttempt), { concurrency: "unbounded", discard: true }).pipe(
      Effect.timeout(Duration.millis(connectTimeoutMs + 1_000)),
      Effect.ignore
    )

    /** Verified, de-duplicated deliveries of one subscription. */
    const deliveries = (sub: OpenSubscription): Stream.Stream<Delivered> => {
      const seen = new Map<string, number>()
      let purgeAt = 1_024
      const remember = (id: string, now: number) => {
        if (seen.size >= purgeAt) {
          for (const [k, until] of seen) if (until <= now) seen.delete(k)
          while (seen.size >= MAX_SEEN) seen.delete(seen.keys().next().value!)
          purgeAt = Math.max(1_024, seen.size * 2)
        }
        seen.set(id, now + dedupeMs)
      }
      return Stream.fromQueue(sub.inbox).pipe(
        Stream.mapEffect(({ conn, raw }) =>
          Effect.gen(function*() {
            if (!isEventShape(raw)) {
              drop(conn, "malformed")
              return Option.none<Delivered>()
            }
            const now = yield* Clock.currentTimeMillis
            const until = seen.get(raw.id)
            // Only verified ids are remembered, so a forged copy sent first under a
            // real event's id cannot shadow the real one.
            if (until !== undefined && until > now) {
              conn.received++
              drop(conn, "duplicate")
              return Option.none<Delivered>()
            }
            if (!(yield* verify(raw))) {
              drop(conn, "invalid_signature")
              yield* Effect.logDebug("dropped an event whose id or signature does not verify").pipe(
                Effect.annotateLogs({ relay: conn.url, event_id: raw.id })
              )
              return Option.none<Delivered>()
            }
            conn.received++
            remember(raw.id, now)
            return Option.some<Delivered>({ event: raw, relay: conn.url })
          })),
        Stream.filterMap((x) => x)
      )
    }

    const subscribe = (filters: ReadonlyArray<NostrFilter>) =>
      Effect.gen(function*() {
        const sub: OpenSubscription = {
          filters: copyFilters(filters),
          // Relays push as fast as they like and there is no backpressure on a relay subscription: past this
          // many events waiting for verification, new ones are dropped (a wallet resends what goes unanswered).
          inbox: yield* Queue.dropping<{ readonly raw: unknown; readonly conn: Connection }>(settings.inboxCapacity ?? INBOX_CAPACITY),
          handles: new Map()
        }
        const stored = yield* Effect.acquireRelease(
          Effect.sync(() => {
            subscriptions.add(sub)
            return connections.filter((c) => c.status === "connected").map((conn) =>
              Effect.async<void>((resume) => openOn(sub, conn, () => resume(Effect.void)))
            )
          }),
          () =>
            Effect.sync(() => {
              subscriptions.delete(sub)
              for (const h of sub.handles.values()) h.close()
              sub.handles.clear()
            }).pipe(Effect.zipRight(Queue.shutdown(sub.inbox)))
        )
        // Active means each connected relay has registered the request (its EOSE
        // came back), so an event published anywhere from now on reaches us.
        yield* Effect.all(stored, { concurrency: "unbounded", discard: true }).pipe(
          Effect.timeout(Duration.millis(connectTimeoutMs)),
          Effect.ignore
        )
        return deliveries(sub)
      })

    const publishEvent = (event: NostrEvent, options: PublishOptions | undefined) =>
      Effect.gen(function*() {
        const results = yield* Effect.forEach(connections, (conn) => sendTo(conn, event), { concurrency: "unbounded" })
        const now = yield* Clock.currentTimeMillis
        const retryUntil = options?.retryUntil ?? now + 10 * 60_000
        const accepted: Array<string> = []
        const rejected: Array<{ relay: string; reason: string }> = []
        results.forEach((r, i) => {
          const conn = connections[i]!
          if (r.ok) return accepted.push(conn.url)
          rejected.push({ relay: conn.url, reason: r.reason })
          if (r.retry && retryUntil > now) {
            conn.pending.set(event.id, { event, until: retryUntil })
            if (conn.pending.size > MAX_PENDING) conn.pending.delete(conn.pending.keys().next().value!)
          }
        })
        const report: PublishReport = { event_id: event.id, relays: connections.length, accepted, rejected }
        if (accepted.length * 2 <= connections.length) return yield* new NostrPublishFailed({ report })
        return report
      })

    const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

    return NostrBus.of({
      pubkey: cipher.pubkey,

      relays: () =>
        Effect.sync(() =>
          connections.map((c): RelayState => ({
            url: c.url,
            status: c.status,
            connected_since: c.connectedSince,
            failures: c.failures,
            last_error: c.lastError,
            events_received: c.received,
            invalid_events: c.invalid,
            dropped: { ...c.dropped },
            pending_publishes: c.pending.size
          }))
        ),

      subscribe,

      publish: Effect.fn("NostrBus.publish")(function*(template: EventTemplate, options?: PublishOptions) {
        const event = finalizeEvent({
          kind: template.kind,
          tags: template.tags.map((t) => [...t]),
          content: template.content,
          created_at: template.created_at ?? (yield* nowSeconds)
        }, secretKey) as NostrEvent
        return { event, report: yield* publishEvent(event, options) }
      }),

      sendDirectMessage: Effect.fn("NostrBus.sendDirectMessage")(function*(
        recipient: string,
        rumor: Omit<EventTemplate, "created_at">,
        options?: PublishOptions
      ) {
        if (!isPoint(recipient)) return yield* new NostrInvalidPeer({ pubkey: recipient })
        const { rumor: sent, wrap } = cipher.wrap(recipient, rumor, yield* nowSeconds)
        return { rumor: sent, wrap, report: yield* publishEvent(wrap, options) }
      }),

      directMessages: (since: number) =>
        Effect.gen(function*() {
          const wraps = yield* subscribe([{
            kinds: [GIFT_WRAP_KIND],
            "#p": [cipher.pubkey],
            since: Math.max(0, since - GIFT_WRAP_BACKDATE_SECONDS - 3_600)
          }])
          const dropFrom = (relay: string, reason: DropReason) =>
            Effect.sync(() => {
              const conn = connections.find((c) => c.url === relay)
              if (conn !== undefined) drop(conn, reason)
            })
          return wraps.pipe(
            Stream.mapEffect((d) =>
              unwrap(d.event).pipe(
                Effect.flatMap((opened) =>
                  opened.rumor.created_at >= since
                    ? Effect.succeed(Option.some<DirectMessage>({ ...opened, wrap_id: d.event.id, relay: d.relay }))
                    : Effect.as(dropFrom(d.relay, "stale"), Option.none<DirectMessage>())
                ),
                Effect.catchAll((reason) =>
                  Effect.zipRight(dropFrom(d.relay, "undecryptable"), Effect.logDebug("dropped a gift wrap")).pipe(
                    Effect.annotateLogs({ wrap_id: d.event.id, reason }),
                    Effect.as(Option.none<DirectMessage>())
                  )
                )
              )),
            Stream.filterMap((x) => x)
          )
        }),

      encrypt: (peer: string, plaintext: string) =>
        isPoint(peer) ? Effect.sync(() => cipher.encrypt(peer, plaintext)) : Effect.fail(new NostrInvalidPeer({ pubkey: peer })),
      decrypt: (peer: string, payload: string) =>
        isPoint(peer)
          ? Effect.try({ try: () => cipher.decrypt(peer, payload), catch: (e) => new NostrDecryptFailed({ reason: messageOf(e) }) })
          : Effect.fail(new NostrInvalidPeer({ pubkey: peer }))
    })
  })

export const layer = (settings: NostrBusSettings) => Layer.scoped(NostrBus, make(settings))
