import { Clock, Context, Effect, Either, FiberRef, FiberSet, Layer, Option, Schedule, type Scope, Stream } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { randomHex } from "../shared/random.js"
import { ClearingStore } from "../../ports/clearing-store.js"
import { EventBus } from "../../ports/event-bus.js"
import { Hermes, type HermesError } from "../../ports/hermes.js"
import { PacketStore } from "../../ports/packet-store.js"
import { PaymentVerifier } from "../../ports/payment-verifier.js"
import { CurrentRateLimit, type RateLimitDecision } from "../../ports/rate-limiter.js"
import { classify, isDelivered, linksMap } from "./classification.machine.js"
import * as Machine from "./clearing.machine.js"
import {
  ChainUnavailable,
  ClearingNotFound,
  type ClearingRateLimited,
  ClearingUnavailable,
  InvalidClearingRequest,
  type InvalidClearingState,
  PacketNotFound,
  PacketNotStuck,
  PaymentAlreadyUsed,
  type PaymentRejected,
  PaymentTxNotFound,
  type QuoteExpired
} from "./errors.js"
import {
  CLEARING_RATE_LIMIT,
  type ClearingEvent,
  type ClearingRequest,
  ClearingStatusTopic,
  type Coin,
  type FeeQuote,
  type PacketKey,
  packetId,
  PacketUpdateTopic
} from "./model.js"
import { DEFAULT_MIN_STUCK_AGE_SECONDS, eligibility } from "./packets.service.js"

export interface ClearingSettings {
  /** CLEARING_FEE: price per packet. Null: clearing is unavailable. */
  readonly feePerPacket: Coin | null
  /** CLEARING_ADDRESS_<CHAIN>: where fees for packets sent from that chain are paid. */
  readonly payTo: ReadonlyMap<string, string>
  readonly quoteTtlMs: number
  /** How long after handing packets to the relayer their delivery must be seen. */
  readonly clearingDeadlineMs: number
  readonly minStuckAgeSeconds: number
}

export const defaultClearingSettings: ClearingSettings = {
  feePerPacket: null,
  payTo: new Map(),
  quoteTtlMs: 30 * 60_000,
  clearingDeadlineMs: 30 * 60_000,
  minStuckAgeSeconds: DEFAULT_MIN_STUCK_AGE_SECONDS
}

export class ClearingConfig extends Context.Tag("relaygate/clearing/ClearingConfig")<ClearingConfig, ClearingSettings>() {}

export interface PaymentInstructions {
  readonly chain_id: string
  readonly pay_to: string
  readonly amount: string
  readonly denom: string
  readonly memo: string
  readonly expires_at: number
}

export interface CreatedClearing {
  readonly request: ClearingRequest
  readonly quote: FeeQuote
  readonly instructions: PaymentInstructions
}

export interface ReconcileReport {
  readonly expired: number
  readonly delivered: number
  readonly failed: number
  readonly started: number
}

type RequestError =
  | InvalidClearingRequest
  | PacketNotFound
  | PacketNotStuck
  | ClearingRateLimited
  | ClearingUnavailable
  | StoreUnavailable

type PaymentError =
  | ClearingNotFound
  | InvalidClearingRequest
  | InvalidClearingState
  | PaymentTxNotFound
  | PaymentRejected
  | PaymentAlreadyUsed
  | QuoteExpired
  | ChainUnavailable
  | StoreUnavailable

/**
 * Paid clearing of stuck packets: request → quote → verified payment →
 * relayer → delivery seen on chain. Clearing runs in fibers owned by the
 * service's scope; `reconcile` (run periodically by the app) resumes anything
 * a restart interrupted and applies deliveries the bus may have dropped.
 */
export class ClearingService extends Context.Tag("relaygate/clearing/ClearingService")<
  ClearingService,
  {
    readonly request: (input: {
      readonly user_id: string
      readonly wallet_address: string | null
      readonly packets: ReadonlyArray<PacketKey>
    }) => Effect.Effect<CreatedClearing, RequestError>
    /** `user_id` given: someone else's request is reported as not found. */
    readonly get: (token: string, userId?: string) => Effect.Effect<ClearingRequest, ClearingNotFound | StoreUnavailable>
    readonly listForUser: (userId: string) => Effect.Effect<ReadonlyArray<ClearingRequest>, StoreUnavailable>
    /** Verifies the tx on its chain and, once paid, hands the packets to the relayer in the background. */
    readonly submitPayment: (token: string, txHash: string, userId?: string) => Effect.Effect<ClearingRequest, PaymentError>
    /** Runs the relayer for a paid request and waits for its report (not for delivery). */
    readonly execute: (token: string) => Effect.Effect<ClearingRequest, ClearingNotFound | InvalidClearingState | StoreUnavailable>
    readonly reconcile: () => Effect.Effect<ReconcileReport, StoreUnavailable>
    readonly refund: (token: string, refundTxHash: string) => Effect.Effect<ClearingRequest, ClearingNotFound | InvalidClearingState | StoreUnavailable>
    /** Applies packet deliveries from the bus as they happen, for the life of the scope. */
    readonly watch: () => Effect.Effect<never, never, Scope.Scope>
  }
>() {}

/** Lets the HTTP edge send X-RateLimit-* for the hourly clearing quota. */
const setRateLimit = (d: RateLimitDecision) => FiberRef.set(CurrentRateLimit, Option.some(d))

const TX_HASH = /^(?:0x)?([0-9a-fA-F]{64})$/

export const make = Effect.gen(function*() {
  const clearings = yield* ClearingStore
  const packets = yield* PacketStore
  const verifier = yield* PaymentVerifier
  const hermes = yield* Hermes
  const bus = yield* EventBus
  const settings = yield* Effect.serviceOption(ClearingConfig).pipe(
    Effect.map(Option.getOrElse(() => defaultClearingSettings))
  )
  const running = yield* FiberSet.make<unknown, never>()

  const publish = (r: ClearingRequest, events: ReadonlyArray<ClearingEvent>) =>
    Effect.forEach(events, (e) =>
      Effect.gen(function*() {
        yield* Effect.logInfo(e._tag).pipe(Effect.annotateLogs({ ...e, amount: "amount" in e ? e.amount.toString() : undefined }))
        if (e._tag !== "ClearingStatusChanged") return
        const txHash = e.to === "paid"
          ? r.payment?.tx_hash
          : e.to === "clearing"
          ? r.attempt?.relayer_tx_hashes.at(-1)
          : e.to === "cleared"
          ? r.delivery_tx_hashes.at(-1)
          : e.to === "refunded"
          ? r.refund_tx_hash
          : undefined
        yield* bus.publish(ClearingStatusTopic, {
          token: r.token,
          user_id: r.user_id,
          wallet_address: r.wallet_address,
          chain_id: r.chain_id,
          status: e.to,
          packet_ids: r.packets.map(packetId),
          tx_hash: txHash ?? null,
          reason: e.to === "failed" ? r.failure_reason : null,
          timestamp: r.updated_at
        }).pipe(Effect.catchAll((err) => Effect.logWarning("clearing_status not published", err.message)))
      }), { discard: true })

  /**
   * One atomic store step: time-based expiry first, then the command. Returns
   * the request after the step and publishes what changed.
   */
  const transition = <E>(token: string, decide: (r: ClearingRequest, now: number) => Either.Either<Machine.Decision, E>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      type Out = { readonly request: ClearingRequest; readonly events: ReadonlyArray<ClearingEvent>; readonly error: Option.Option<E> }
      const out = yield* clearings.modify<Out, never>(token, (r) => {
        const expired = Machine.expireIfDue(r, now)
        const base = Option.match(expired, { onNone: () => r, onSome: (d) => d.request })
        const before = Option.match(expired, { onNone: () => [], onSome: (d) => d.events })
        return Either.match(decide(base, now), {
          onLeft: (error) => Either.right([base, { request: base, events: before, error: Option.some(error) }] as const),
          onRight: (d) => Either.right([d.request, { request: d.request, events: [...before, ...d.events], error: Option.none() }] as const)
        })
      })
      yield* publish(out.request, out.events)
      if (Option.isSome(out.error)) return yield* Effect.fail(out.error.value)
      return { request: out.request, events: out.events } satisfies Machine.Decision
    })

  /** For commands that never set a payment, the store's payment-uniqueness check cannot fire. */
  const step = <E>(token: string, decide: (r: ClearingRequest, now: number) => Either.Either<Machine.Decision, E>) =>
    transition(token, decide).pipe(Effect.catchTag("PaymentAlreadyUsed", (e) => Effect.die(e)))

  const stepTo = <E>(token: string, decide: (r: ClearingRequest, now: number) => Either.Either<Machine.Decision, E>) =>
    Effect.map(step(token, decide), (d) => d.request)

  const ownedBy = (r: ClearingRequest, userId: string | undefined) => userId === undefined || r.user_id === userId

  const get = Effect.fn("ClearingService.get")(function*(token: string, userId?: string) {
    const found = yield* clearings.get(token)
    if (Option.isNone(found) || !ownedBy(found.value, userId)) return yield* Effect.fail(new ClearingNotFound({ token }))
    return found.value
  })

  const clearingFailed = (token: string, reason: string) =>
    stepTo(token, (r, now) => Machine.failClearing(r, reason, now)).pipe(
      Effect.catchTag("InvalidClearingState", () => get(token))
    )

  /** Hands the packets to the relayer, one call per channel. */
  const execute = Effect.fn("ClearingService.execute")(function*(token: string) {
    const executor = hermes.executor
    if (executor === null) return yield* clearingFailed(token, "no relayer is configured")
    const decision = yield* step(token, (r, now) =>
      Machine.startClearing(r, { executor, now, deadlineMs: settings.clearingDeadlineMs }))
    const started = decision.request
    // Only the call that moved the request into `clearing` runs the relayer.
    const mine = decision.events.some((e) => e._tag === "ClearingStatusChanged" && e.to === "clearing")
    if (!mine || started.status !== "clearing") return started
    const byChannel = new Map<string, { port: string; channel: string; sequences: Array<number> }>()
    for (const key of started.packets) {
      const p = yield* packets.get(key)
      const port = Option.match(p, { onNone: () => "transfer", onSome: (x) => x.src_port })
      const group = byChannel.get(key.src_channel) ?? { port, channel: key.src_channel, sequences: [] }
      group.sequences.push(key.sequence)
      byChannel.set(key.src_channel, group)
    }
    const reports = yield* Effect.forEach(byChannel.values(), (g) =>
      hermes.clearPackets({ chain_id: started.chain_id, port_id: g.port, channel_id: g.channel, sequences: g.sequences }).pipe(
        Effect.retry({
          schedule: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(2))),
          while: (e: HermesError) => e._tag === "HermesUnavailable"
        })
      )).pipe(Effect.either)
    if (Either.isLeft(reports)) return yield* clearingFailed(token, reports.left.message)
    const report = {
      scope: reports.right.some((x) => x.scope === "chain") ? "chain" as const : "sequences" as const,
      tx_hashes: reports.right.flatMap((x) => x.tx_hashes)
    }
    return yield* stepTo(token, (r, now) => Machine.recordRelayerReport(r, report, now)).pipe(
      // Delivery may have cleared (or a deadline failed) the request while the relayer ran.
      Effect.catchTag("InvalidClearingState", () => get(token))
    )
  })

  const executeInBackground = (token: string) =>
    FiberSet.run(
      running,
      execute(token).pipe(
        Effect.catchAll((e) => Effect.logWarning("clearing execution stopped", { token, reason: e.message }))
      )
    )

  /** Checks an active request's packets against what the chains have shown. */
  const syncWithChain = (r: ClearingRequest) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const heights = new Map((yield* packets.heads()).map((h) => [h.chain_id, h.height]))
      const links = linksMap(yield* packets.links())
      let delivered = 0
      for (const key of r.packets) {
        const found = yield* packets.get(key)
        if (Option.isNone(found)) continue
        const p = found.value
        const id = packetId(p)
        if (isDelivered(p)) {
          if (r.delivered.includes(id)) continue
          const by = p.received ?? p.acknowledged!
          yield* step(r.token, (cur, at) => Either.right(Machine.observeDelivery(cur, id, by.tx_hash, at)))
          delivered++
        } else if (classify(p, { now, heights, links }).status === "expired") {
          yield* clearingFailed(r.token, `packet ${id} timed out before it was delivered`)
          return { delivered, failed: 1 }
        }
      }
      return { delivered, failed: 0 }
    })

  const service = ClearingService.of({
    request: Effect.fn("ClearingService.request")(function*(input) {
      const valid = yield* Machine.validatePackets(input.packets)
      const fee = settings.feePerPacket
      const payTo = settings.payTo.get(valid.chain_id)
      if (fee === null) return yield* Effect.fail(new ClearingUnavailable({ reason: "no clearing fee is configured" }))
      if (payTo === undefined) {
        return yield* Effect.fail(new ClearingUnavailable({ reason: `no payment address is configured for ${valid.chain_id}` }))
      }
      if (hermes.executor === null) return yield* Effect.fail(new ClearingUnavailable({ reason: "no relayer is configured" }))
      const now = yield* Clock.currentTimeMillis
      const heights = new Map((yield* packets.heads()).map((h) => [h.chain_id, h.height]))
      const links = linksMap(yield* packets.links())
      for (const key of valid.packets) {
        const found = yield* packets.get(key)
        if (Option.isNone(found)) return yield* Effect.fail(new PacketNotFound({ packet_id: packetId(key) }))
        const view = classify(found.value, { now, heights, links })
        const e = eligibility(view, settings.minStuckAgeSeconds)
        if (!e.eligible) {
          return yield* Effect.fail(new PacketNotStuck({ packet_id: view.id, status: view.status, reason: e.reason ?? "" }))
        }
      }
      const token = `clr_${yield* randomHex(16)}`
      const fresh = Machine.newRequest({ token, user_id: input.user_id, wallet_address: input.wallet_address, chain_id: valid.chain_id, packets: valid.packets, now })
      const quote = Machine.quoteFor(fresh, { perPacket: fee, payTo, now, ttlMs: settings.quoteTtlMs })
      const quoted = Either.getOrThrow(Machine.issueQuote(fresh, quote, now))
      const { perHour, windowMs } = CLEARING_RATE_LIMIT
      const admission = yield* clearings.insert(quoted.request, now - windowMs, (recent) =>
        Machine.admit(recent, input.user_id, now, perHour, windowMs)).pipe(
          Effect.tapError((e) =>
            e._tag === "ClearingRateLimited"
              ? setRateLimit({ allowed: false, limit: e.limit, remaining: 0, resetAt: now + e.retry_after_seconds * 1000 })
              : Effect.void
          )
        )
      yield* setRateLimit({ allowed: true, limit: admission.limit, remaining: admission.remaining, resetAt: admission.resetAt })
      yield* publish(quoted.request, quoted.events)
      return {
        request: quoted.request,
        quote,
        instructions: {
          chain_id: quote.chain_id,
          pay_to: quote.pay_to,
          amount: quote.amount.toString(),
          denom: quote.denom,
          memo: quote.memo,
          expires_at: quote.expires_at
        }
      }
    }),
    get,
    listForUser: Effect.fn("ClearingService.listForUser")(function*(userId: string) {
      return yield* clearings.list({ user_id: userId })
    }),
    submitPayment: Effect.fn("ClearingService.submitPayment")(function*(token: string, txHash: string, userId?: string) {
      const m = TX_HASH.exec(txHash.trim())
      if (m === null) return yield* Effect.fail(new InvalidClearingRequest({ reason: "tx_hash must be 64 hex characters" }))
      const hash = m[1]!.toUpperCase()
      const r = yield* get(token, userId)
      if (r.payment?.tx_hash === hash) return r
      const owner = yield* clearings.findByPaymentTx(hash)
      if (Option.isSome(owner) && owner.value.token !== token) return yield* Effect.fail(new PaymentAlreadyUsed({ tx_hash: hash }))
      const tx = yield* verifier.fetchTx(r.chain_id, hash).pipe(
        Effect.mapError((e) => new ChainUnavailable({ chain_id: r.chain_id, reason: e.reason }))
      )
      if (Option.isNone(tx)) return yield* Effect.fail(new PaymentTxNotFound({ chain_id: r.chain_id, tx_hash: hash }))
      const paid = yield* transition(token, (cur, now) => Machine.acceptPayment(cur, { ...tx.value, tx_hash: hash }, now))
      if (paid.events.some((e) => e._tag === "PaymentAccepted")) yield* executeInBackground(token)
      return paid.request
    }),
    execute,
    reconcile: Effect.fn("ClearingService.reconcile")(function*() {
      const now = yield* Clock.currentTimeMillis
      const active = yield* clearings.list({ statuses: ["requested", "awaiting_payment", "paid", "clearing"] })
      let expired = 0
      let delivered = 0
      let failed = 0
      let started = 0
      for (const r of active) {
        yield* Effect.gen(function*() {
          if (Option.isSome(Machine.expireIfDue(r, now))) {
            yield* step(r.token, (cur) => Either.right({ request: cur, events: [] }))
            expired++
            return
          }
          if (r.status !== "paid" && r.status !== "clearing") return
          const synced = yield* syncWithChain(r)
          delivered += synced.delivered
          failed += synced.failed
          if (synced.failed === 0 && r.status === "paid") {
            yield* executeInBackground(r.token)
            started++
          }
        }).pipe(Effect.catchAll((e) => Effect.logWarning("reconcile skipped a request", { token: r.token, reason: e.message })))
      }
      return { expired, delivered, failed, started }
    }),
    refund: Effect.fn("ClearingService.refund")(function*(token: string, refundTxHash: string) {
      return yield* stepTo(token, (r, now) => Machine.markRefunded(r, refundTxHash, now))
    }),
    watch: () =>
      Effect.gen(function*() {
        const updates = yield* bus.subscribe(PacketUpdateTopic).pipe(Effect.orDie)
        return yield* updates.pipe(
          Stream.filter((u) => u.status === "delivered"),
          Stream.runForEach((u) =>
            Effect.gen(function*() {
              const waiting = yield* clearings.list({ packet_id: u.packet_id, statuses: ["paid", "clearing"] })
              for (const r of waiting) {
                yield* step(r.token, (cur, now) => Either.right(Machine.observeDelivery(cur, u.packet_id, u.tx_hash, now)))
              }
            }).pipe(Effect.catchAll((e) => Effect.logWarning("delivery not applied; reconcile will", e.message)))
          ),
          Effect.catchAll((e) => Effect.logWarning("packet updates ended", e.message)),
          Effect.zipRight(Effect.never)
        )
      })
  })
  return service
})

export const layer = Layer.scoped(ClearingService, make)
