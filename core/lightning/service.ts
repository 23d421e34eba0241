import { Clock, Context, Duration, Effect, Either, Layer, Option, Ref, Schedule, Stream } from "effect"
import {
  AssetInactive,
  type AssetNotFound,
  type HoldConflict,
  type InsufficientFunds,
  type InvalidLedgerInput,
  SupplyCapExceeded
} from "../ledger/errors.js"
import { LedgerService } from "../ledger/service.js"
import type { StoreUnavailable } from "../shared/errors.js"
import { normalizeXOnlyPubkey } from "../shared/pubkey.js"
import { type InvoiceCount, type InvoiceFilter, InvoiceStore } from "../../ports/invoice-store.js"
import {
  type Channel,
  type ChannelBalance,
  type FeeEstimate,
  Lightning,
  type LightningError,
  type LnInvoice,
  type LnPayment,
  type WalletBalance
} from "../../ports/lightning.js"
import {
  InvalidInvoice,
  InvoiceAlreadyRegistered,
  type InvoiceAmountMismatch,
  type InvoiceExpired,
  type InvoiceNetworkMismatch,
  InvoiceNotFound,
  type InvoiceNotPayable,
  LightningNodeUnavailable,
  PaymentFailed
} from "./errors.js"
import { type BitcoinNetwork, checkLandInvoice, decodeInvoice } from "./invoice.js"
import * as Machine from "./machine.js"
import { landHoldId, type LightningInvoice } from "./model.js"

export interface LightningSettings {
  /** BITCOIN_NETWORK: land invoices must be for it. */
  readonly network: BitcoinNetwork
  readonly invoiceExpirySeconds: number
  /** How long one pay request waits for lnd's final answer before reporting the payment in flight. */
  readonly paymentTimeoutSeconds: number
}

/** The settlement subscription, for /lightning/monitor/health. */
export interface MonitorHealth {
  readonly subscription: "starting" | "connected" | "reconnecting"
  readonly connected_since: number | null
  readonly last_event_at: number | null
  /** Highest settle index processed; a reconnect resumes after it. */
  readonly settle_index: bigint
  readonly settlements_seen: number
  readonly credited: number
  readonly duplicates_ignored: number
  readonly foreign_ignored: number
  readonly reconnects: number
  readonly last_error: string | null
}

export interface Activity {
  readonly invoices: ReadonlyArray<LightningInvoice>
  readonly lifted_sats: bigint
  readonly landed_sats: bigint
}

type Unavailable = LightningNodeUnavailable | StoreUnavailable

/** Lift (invoice → credit once on settlement) and land (check → reserve → pay → debit or release). */
export class LightningService extends Context.Tag("relaygate/LightningService")<
  LightningService,
  {
    readonly lift: (input: {
      readonly user_pubkey: string
      readonly asset_id: string
      readonly amount_sats: bigint
      readonly session_id?: string | undefined
    }) => Effect.Effect<LightningInvoice, AssetNotFound | AssetInactive | SupplyCapExceeded | InvalidLedgerInput | Unavailable>
    /**
     * Registers the user's invoice for payment: decoded and checked (amount,
     * expiry, network) before anything is reserved, then the amount is reserved.
     */
    readonly land: (input: {
      readonly user_pubkey: string
      readonly asset_id: string
      readonly amount_sats: bigint
      readonly lightning_invoice: string
      readonly session_id?: string | undefined
    }) => Effect.Effect<
      LightningInvoice,
      | InvalidInvoice
      | InvoiceNetworkMismatch
      | InvoiceAmountMismatch
      | InvoiceExpired
      | InvoiceAlreadyRegistered
      | AssetNotFound
      | AssetInactive
      | InsufficientFunds
      | HoldConflict
      | InvalidLedgerInput
      | Unavailable
    >
    /**
     * Pays a registered land. Success debits the reservation, failure releases
     * it (and fails with PaymentFailed); a payment still in flight is returned
     * as such and resolved later.
     */
    readonly pay: (paymentHash: string) => Effect.Effect<LightningInvoice, InvoiceNotFound | InvoiceNotPayable | PaymentFailed | Unavailable>
    /** The invoice, after settling an in-flight payment whose outcome lnd now knows. */
    readonly get: (paymentHash: string) => Effect.Effect<LightningInvoice, InvoiceNotFound | StoreUnavailable>
    readonly list: (filter: InvoiceFilter) => Effect.Effect<ReadonlyArray<LightningInvoice>, StoreUnavailable>
    readonly activity: (userPubkey: string) => Effect.Effect<Activity, StoreUnavailable>
    readonly statistics: () => Effect.Effect<ReadonlyArray<InvoiceCount>, StoreUnavailable>
    readonly balances: () => Effect.Effect<{ readonly channel: ChannelBalance; readonly wallet: WalletBalance }, LightningNodeUnavailable>
    readonly channels: () => Effect.Effect<ReadonlyArray<Channel>, LightningNodeUnavailable>
    readonly estimateFee: (amountSats: bigint) => Effect.Effect<FeeEstimate & { readonly fee_limit_sats: bigint }, LightningNodeUnavailable>
    readonly health: () => Effect.Effect<MonitorHealth>
    /** Handles one settled invoice from the subscription; idempotent. */
    readonly onSettled: (invoice: LnInvoice) => Effect.Effect<"credited" | "duplicate" | "foreign", StoreUnavailable>
    /**
     * Expires unpaid invoices (releasing lands' reservations), resolves
     * payments left in flight, and releases land reservations a crash left
     * without an invoice record.
     */
    readonly sweep: () => Effect.Effect<{ readonly expired: number; readonly resolved: number; readonly orphans_released: number }, StoreUnavailable>
  }
>() {}

/** What the gateway will pay in routing fees for a land: 1 %, at least 10 sats. */
export const feeLimitFor = (amount: bigint): bigint => (amount / 100n > 10n ? amount / 100n : 10n)

const nodeDown = (e: LightningError) =>
  new LightningNodeUnavailable({ reason: e._tag === "LightningUnavailable" ? e.reason : `lnd refused: ${e.reason}` })

/** A hold a crashed land left without its invoice record is released only after this long, so a land in progress keeps it. */
const ORPHAN_AFTER_MS = 60_000

export const make = (settings: LightningSettings) =>
  Effect.gen(function*() {
    const store = yield* InvoiceStore
    const ln = yield* Lightning
    const ledger = yield* LedgerService
    const monitor = yield* Ref.make<MonitorHealth>({
      subscription: "starting",
      connected_since: null,
      last_event_at: null,
      settle_index: 0n,
      settlements_seen: 0,
      credited: 0,
      duplicates_ignored: 0,
      foreign_ignored: 0,
      reconnects: 0,
      last_error: null
    })

    const load = (hash: string) =>
      Effect.flatMap(store.get(hash), Option.match({
        onNone: () => Effect.fail(new InvoiceNotFound({ payment_hash: hash })),
        onSome: Effect.succeed
      }))

    /** Store transitions that cannot fail (they leave unrelated states as they are). */
    const update = (hash: string, f: (inv: LightningInvoice, now: number) => LightningInvoice) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        store.modify(hash, (cur) => {
          const next = f(cur, now)
          return Either.right([next, next] as const)
        }))

    const releaseLand = (inv: LightningInvoice, reason: string) =>
      inv.hold_id === null ? Effect.void : ledger.release(inv.hold_id, reason).pipe(
        // Already released is the outcome we want; already settled means lnd paid and must not be undone.
        Effect.catchTags({
          HoldNotFound: () => Effect.void,
          HoldConflict: (e) =>
            e.status === "released" ? Effect.void : Effect.logError("land hold already settled; not released").pipe(Effect.annotateLogs({ hold_id: e.hold_id })),
          AssetNotFound: (e) => Effect.die(e)
        }),
        Effect.asVoid
      )

    /** Applies lnd's final answer for a land exactly once: debit on success, release on failure. */
    const conclude = (hash: string, payment: Option.Option<LnPayment>) =>
      Effect.gen(function*() {
        const inv = yield* load(hash).pipe(Effect.orDie)
        if (inv.status !== "in_flight") return inv
        const p = Option.getOrUndefined(payment)
        if (p?.status === "SUCCEEDED") {
          if (inv.hold_id !== null) {
            yield* ledger.settle(inv.hold_id, { external: "lightning" }).pipe(
              Effect.catchTags({
                HoldConflict: (e) => Effect.logError("lnd paid a land whose reservation was already released").pipe(Effect.annotateLogs({ hold_id: e.hold_id })),
                HoldNotFound: (e) => Effect.logError("lnd paid a land without a reservation").pipe(Effect.annotateLogs({ hold_id: e.hold_id })),
                AssetNotFound: Effect.die,
                AmountOverflow: Effect.die,
                InvalidLedgerInput: Effect.die
              })
            )
          }
          const done = yield* update(hash, (cur, now) => Machine.paymentSucceeded(cur, { fee_sats: p.feeSats, preimage: p.preimage }, now))
            .pipe(Effect.orDie)
          yield* Effect.logInfo("land paid").pipe(Effect.annotateLogs({ payment_hash: hash, amount_sats: String(inv.amount_sats) }))
          return done
        }
        if (p?.status === "IN_FLIGHT") return inv
        const reason = p?.failureReason ?? "lnd has no record of the payment"
        yield* releaseLand(inv, `payment failed: ${reason}`)
        const failed = yield* update(hash, (cur, now) => Machine.paymentFailed(cur, reason, now)).pipe(Effect.orDie)
        yield* Effect.logInfo("land payment failed; reservation released").pipe(Effect.annotateLogs({ payment_hash: hash, reason }))
        return failed
      })

    /**
     * An in-flight land whose outcome lnd now knows. A payment lnd never saw
     * counts as failed only once the pay request that started it must be over.
     */
    const resolveInFlight = (inv: LightningInvoice) =>
      Effect.gen(function*() {
        if (inv.status !== "in_flight") return inv
        const tracked = yield* ln.trackPayment(inv.payment_hash).pipe(Effect.option)
        if (Option.isNone(tracked)) return inv
        const now = yield* Clock.currentTimeMillis
        if (Option.isNone(tracked.value) && now - inv.updated_at < 2 * settings.paymentTimeoutSeconds * 1000) return inv
        return yield* conclude(inv.payment_hash, tracked.value)
      })

    const onSettled = Effect.fn("LightningService.onSettled")(function*(settled: LnInvoice) {
      const found = yield* store.get(settled.paymentHash)
      if (Option.isNone(found) || found.value.invoice_type !== "lift" || settled.amountPaidSats < found.value.amount_sats) {
        return "foreign" as const
      }
      const inv = found.value
      // The ledger entry is keyed by the payment hash: a replayed settlement finds it and credits nothing.
      const credit = yield* ledger.lift({ key: inv.payment_hash, asset_id: inv.asset_id, user_pubkey: inv.user_pubkey, amount: inv.amount_sats })
        .pipe(Effect.catchTags({ AssetNotFound: Effect.die, AmountOverflow: Effect.die, InvalidLedgerInput: Effect.die }))
      const now = yield* Clock.currentTimeMillis
      yield* store.modify(inv.payment_hash, (cur) => {
        const r = Machine.liftSettled(cur, now)
        return Either.right([r.invoice, r.changed] as const)
      }).pipe(Effect.catchTag("InvoiceNotFound", Effect.die))
      if (credit.replayed) return "duplicate" as const
      yield* Effect.logInfo("lift credited").pipe(
        Effect.annotateLogs({ payment_hash: inv.payment_hash, user_pubkey: inv.user_pubkey, amount_sats: String(inv.amount_sats) })
      )
      return "credited" as const
    })

    /** The settlement subscription: resumes after the last settle index it processed, with backoff. */
    const subscribe = Effect.gen(function*() {
      const from = (yield* Ref.get(monitor)).settle_index
      const now = yield* Clock.currentTimeMillis
      yield* Ref.update(monitor, (m) => ({ ...m, subscription: "connected" as const, connected_since: now }))
      yield* ln.subscribeSettledInvoices(from).pipe(
        Stream.runForEach((inv) =>
          Effect.gen(function*() {
            const outcome = yield* onSettled(inv).pipe(
              Effect.retry(Schedule.exponential(Duration.millis(200)).pipe(Schedule.intersect(Schedule.recurs(5))))
            )
            const at = yield* Clock.currentTimeMillis
            yield* Ref.update(monitor, (m) => ({
              ...m,
              last_event_at: at,
              settle_index: inv.settleIndex > m.settle_index ? inv.settleIndex : m.settle_index,
              settlements_seen: m.settlements_seen + 1,
              credited: m.credited + (outcome === "credited" ? 1 : 0),
              duplicates_ignored: m.duplicates_ignored + (outcome === "duplicate" ? 1 : 0),
              foreign_ignored: m.foreign_ignored + (outcome === "foreign" ? 1 : 0)
            }))
          })
        )
      )
    }).pipe(
      Effect.tapError((e) => {
        // lnd's errors carry their reason, not a message; a store failure describes itself.
        const reason = e._tag === "LightningUnavailable" ? e.reason : e.message
        return Ref.update(monitor, (m) => ({ ...m, subscription: "reconnecting" as const, reconnects: m.reconnects + 1, last_error: reason })).pipe(
          Effect.zipRight(Effect.logWarning("invoice subscription dropped; reconnecting").pipe(Effect.annotateLogs({ reason })))
        )
      }),
      Effect.retry(Schedule.exponential(Duration.seconds(1)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(30))))),
      Effect.forever
    )
    yield* Effect.forkScoped(subscribe)

    const expire = (inv: LightningInvoice, now: number) =>
      Effect.gen(function*() {
        const expired = yield* store.modify(inv.payment_hash, (cur) =>
          Option.match(Machine.expireIfDue(cur, now), {
            onNone: () => Either.right([cur, false] as const),
            onSome: (next) => Either.right([next, true] as const)
          })).pipe(Effect.catchTag("InvoiceNotFound", () => Effect.succeed(false)))
        if (expired && inv.invoice_type === "land") yield* releaseLand(inv, "invoice expired before it was paid")
        return expired
      })

    return LightningService.of({
      lift: Effect.fn("LightningService.lift")(function*(input) {
        const user = normalizeXOnlyPubkey(input.user_pubkey) ?? input.user_pubkey
        const asset = yield* ledger.getAsset(input.asset_id)
        if (!asset.is_active) return yield* new AssetInactive({ asset_id: asset.asset_id })
        if (asset.total_supply > 0n && asset.circulating_supply + input.amount_sats > asset.total_supply) {
          return yield* new SupplyCapExceeded({
            asset_id: asset.asset_id,
            total_supply: Number(asset.total_supply),
            circulating_supply: Number(asset.circulating_supply),
            requested: Number(input.amount_sats)
          })
        }
        const created = yield* ln.addInvoice({
          valueSats: input.amount_sats,
          memo: `relaygate lift: ${input.amount_sats} ${asset.asset_id}`,
          expirySeconds: settings.invoiceExpirySeconds
        }).pipe(Effect.mapError(nodeDown))
        const now = yield* Clock.currentTimeMillis
        const record: LightningInvoice = {
          payment_hash: created.paymentHash,
          bolt11_invoice: created.paymentRequest,
          invoice_type: "lift",
          user_pubkey: user,
          asset_id: asset.asset_id,
          amount_sats: input.amount_sats,
          status: "pending",
          session_id: input.session_id ?? null,
          hold_id: null,
          created_at: now,
          updated_at: now,
          expires_at: created.expiresAt,
          settled_at: null,
          fee_sats: null,
          preimage: null,
          failure_reason: null,
          payment_attempts: 0
        }
        yield* store.insert(record).pipe(Effect.catchTag("InvoiceAlreadyRegistered", Effect.die))
        return record
      }),

      land: Effect.fn("LightningService.land")(function*(input) {
        const now = yield* Clock.currentTimeMillis
        const decoded = yield* decodeInvoice(input.lightning_invoice)
        yield* checkLandInvoice(decoded, { amount_sats: input.amount_sats, network: settings.network, now })
        const node = yield* ln.getInfo().pipe(Effect.mapError(nodeDown))
        if (decoded.payee_pubkey === node.identityPubkey) {
          return yield* new InvalidInvoice({ reason: "the invoice is the gateway's own; land to an outside wallet" })
        }
        const user = normalizeXOnlyPubkey(input.user_pubkey) ?? input.user_pubkey
        const holdId = landHoldId(decoded.payment_hash)
        const held = yield* ledger.reserve({
          hold_id: holdId,
          owner: user,
          asset_id: input.asset_id,
          amount: input.amount_sats,
          purpose: "land",
          reference: decoded.payment_hash
        })
        // The hold id is the payment hash: a second land of the same invoice finds it and reserves nothing.
        if (held.replayed) return yield* new InvoiceAlreadyRegistered({ payment_hash: decoded.payment_hash })
        const record: LightningInvoice = {
          payment_hash: decoded.payment_hash,
          bolt11_invoice: decoded.payment_request,
          invoice_type: "land",
          user_pubkey: user,
          asset_id: input.asset_id,
          amount_sats: input.amount_sats,
          status: "pending",
          session_id: input.session_id ?? null,
          hold_id: holdId,
          created_at: now,
          updated_at: now,
          expires_at: decoded.expires_at,
          settled_at: null,
          fee_sats: null,
          preimage: null,
          failure_reason: null,
          payment_attempts: 0
        }
        yield* store.insert(record).pipe(
          Effect.tapError(() => releaseLand(record, "invoice already registered"))
        )
        yield* Effect.logInfo("land registered; balance reserved").pipe(
          Effect.annotateLogs({ payment_hash: record.payment_hash, amount_sats: String(record.amount_sats) })
        )
        return record
      }),

      pay: Effect.fn("LightningService.pay")(function*(paymentHash: string) {
        const inv = yield* load(paymentHash)
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(Machine.expireIfDue(inv, now))) yield* expire(inv, now)
        const started = yield* store.modify(paymentHash, (cur) =>
          Either.map(Machine.beginPayment(cur, now), (next) => [next, next] as const))
        const sent = yield* ln.sendPayment({
          paymentRequest: started.bolt11_invoice,
          feeLimitSats: feeLimitFor(started.amount_sats),
          timeoutSeconds: settings.paymentTimeoutSeconds
        }).pipe(Effect.either)
        if (Either.isLeft(sent) && sent.left._tag === "LightningUnavailable") {
          // Whether lnd started the payment is unknown: it stays in flight until lnd can tell.
          return yield* new LightningNodeUnavailable({ reason: `${sent.left.reason}; the payment is in flight and will be resolved` })
        }
        // A refusal may mean lnd already holds a payment for this hash; its record decides, not the refusal.
        const outcome = Either.isRight(sent)
          ? Option.some(sent.right)
          : yield* ln.trackPayment(paymentHash).pipe(
            Effect.map((tracked) =>
              Option.isSome(tracked) && tracked.value.status !== "FAILED"
                ? tracked
                : Option.some<LnPayment>({
                  paymentHash,
                  status: "FAILED",
                  valueSats: started.amount_sats,
                  feeSats: 0n,
                  preimage: null,
                  failureReason: (sent.left as { reason: string }).reason,
                  createdAt: now
                })
            ),
            Effect.catchAll(() => Effect.succeed(Option.none<LnPayment>()))
          )
        if (Option.isNone(outcome)) return started
        const done = yield* conclude(paymentHash, outcome)
        if (done.status === "failed") return yield* new PaymentFailed({ payment_hash: paymentHash, reason: done.failure_reason ?? "unknown" })
        return done
      }),

      get: Effect.fn("LightningService.get")(function*(paymentHash: string) {
        const inv = yield* load(paymentHash)
        return inv.status === "in_flight" ? yield* resolveInFlight(inv) : inv
      }),

      list: Effect.fn("LightningService.list")(function*(filter: InvoiceFilter) {
        return yield* store.list(filter)
      }),

      activity: Effect.fn("LightningService.activity")(function*(userPubkey: string) {
        const invoices = yield* store.list({ user_pubkey: userPubkey })
        const sum = (type: "lift" | "land") =>
          invoices.filter((i) => i.invoice_type === type && i.status === "paid").reduce((n, i) => n + i.amount_sats, 0n)
        return { invoices, lifted_sats: sum("lift"), landed_sats: sum("land") }
      }),

      statistics: Effect.fn("LightningService.statistics")(function*() {
        return yield* store.countByTypeAndStatus()
      }),

      balances: Effect.fn("LightningService.balances")(function*() {
        const channel = yield* ln.channelBalance().pipe(Effect.mapError(nodeDown))
        const wallet = yield* ln.walletBalance().pipe(Effect.mapError(nodeDown))
        return { channel, wallet }
      }),

      channels: Effect.fn("LightningService.channels")(function*() {
        return yield* ln.listChannels().pipe(Effect.mapError(nodeDown))
      }),

      estimateFee: Effect.fn("LightningService.estimateFee")(function*(amountSats: bigint) {
        const estimate = yield* ln.estimateFee(amountSats).pipe(Effect.mapError(nodeDown))
        return { ...estimate, fee_limit_sats: feeLimitFor(amountSats) }
      }),

      health: () => Ref.get(monitor),

      onSettled,

      sweep: Effect.fn("LightningService.sweep")(function*() {
        const now = yield* Clock.currentTimeMillis
        let expired = 0
        for (const inv of yield* store.list({ status: "pending", expired_by: now })) {
          if (yield* expire(inv, now)) expired++
        }
        let resolved = 0
        for (const inv of yield* store.list({ status: "in_flight" })) {
          const after = yield* resolveInFlight(inv)
          if (after.status !== "in_flight") resolved++
        }
        let orphans = 0
        for (const hold of yield* ledger.listHolds({ status: "held", purpose: "land" })) {
          if (now - hold.created_at < ORPHAN_AFTER_MS || hold.reference === null) continue
          if (Option.isSome(yield* store.get(hold.reference))) continue
          yield* ledger.release(hold.hold_id, "land was never registered").pipe(Effect.catchAll(() => Effect.void))
          orphans++
        }
        return { expired, resolved, orphans_released: orphans }
      })
    })
  })

/** The service plus its settlement subscription, which lives as long as the layer. */
export const layer = (settings: LightningSettings) => Layer.scoped(LightningService, make(settings))
