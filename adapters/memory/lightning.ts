import { secp256k1 } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"
import bolt11 from "bolt11"
import { Clock, Context, Effect, Either, Layer, Option, PubSub, Ref, Stream, SubscriptionRef } from "effect"
import { type BitcoinNetwork, bolt11Network, decodeInvoice } from "../../core/lightning/invoice.js"
import { randomHex } from "../../core/shared/random.js"
import {
  type Channel,
  Lightning,
  type LightningInfo,
  LightningRejected,
  LightningUnavailable,
  type LnInvoice,
  type LnPayment
} from "../../ports/lightning.js"

export type PaymentBehaviour = "succeed" | "fail" | "in_flight"

/** Test and demo controls of the simulated lnd; not part of the Lightning port. */
export class LightningSimulator extends Context.Tag("relaygate/LightningSimulator")<
  LightningSimulator,
  {
    /** An outside wallet pays one of the node's invoices (by payment request or hash): it settles now. */
    readonly payInvoice: (paymentRequestOrHash: string) => Effect.Effect<LnInvoice, LightningRejected>
    /** Delivers an already settled invoice to the subscribers again, as a reconnecting stream may. */
    readonly replaySettlement: (paymentHash: string) => Effect.Effect<void, LightningRejected>
    /** How the node's next outgoing payments end. */
    readonly setPaymentBehaviour: (behaviour: PaymentBehaviour) => Effect.Effect<void>
    /** Ends a payment that is in flight. */
    readonly resolvePayment: (paymentHash: string, outcome: "succeed" | "fail") => Effect.Effect<LnPayment, LightningRejected>
    /** false: every call fails with LightningUnavailable and open subscriptions drop, until set back. */
    readonly setAvailable: (up: boolean) => Effect.Effect<void>
    readonly payments: () => Effect.Effect<ReadonlyArray<LnPayment>>
  }
>() {}

export interface SimulatorOptions {
  readonly network?: BitcoinNetwork
  /** Local channel liquidity to start with, sats. */
  readonly localBalanceSats?: bigint
}

interface StoredInvoice {
  readonly invoice: LnInvoice
  readonly preimage: string
}

const FAILURE_NO_ROUTE = "FAILURE_REASON_NO_ROUTE"
const FAILURE_INSUFFICIENT_BALANCE = "FAILURE_REASON_INSUFFICIENT_BALANCE"

const routingFee = (amount: bigint) => 1n + (amount + 999n) / 1000n

export const make = (options: SimulatorOptions = {}) =>
  Effect.gen(function*() {
    const network = options.network ?? "regtest"
    const nodeKey = secp256k1.utils.randomSecretKey()
    const info: LightningInfo = {
      identityPubkey: bytesToHex(secp256k1.getPublicKey(nodeKey, true)),
      alias: "relaygate-simulated-lnd",
      network,
      blockHeight: 800_000,
      version: "relaygate-simulated-lnd"
    }
    const up = yield* SubscriptionRef.make(true)
    const behaviour = yield* Ref.make<PaymentBehaviour>("succeed")
    // Bounded with backpressure: a slow subscriber holds up the simulated settlement, never loses it.
    const settledHub = yield* PubSub.bounded<LnInvoice>(1024)
    const invoices = new Map<string, StoredInvoice>()
    const payments = new Map<string, LnPayment>()
    const channels: Array<Channel> = Array.from({ length: 2 }, (_, i) => {
      const local = (options.localBalanceSats ?? 10_000_000n) / 2n
      return {
        channelId: `${800_000 + i}x1x0`,
        remotePubkey: bytesToHex(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)),
        capacitySats: local * 2n,
        localBalanceSats: local,
        remoteBalanceSats: local,
        active: true
      }
    })
    let addIndex = 0n
    let settleIndex = 0n

    const reachable = Effect.flatMap(SubscriptionRef.get(up), (u) =>
      u ? Effect.void : Effect.fail(new LightningUnavailable({ reason: "simulated lnd is down" })))

    /** Liquidity moves through the first channel that can take it. */
    const moveLocal = (delta: bigint): boolean => {
      const i = channels.findIndex((c) => (delta < 0n ? c.localBalanceSats >= -delta : c.remoteBalanceSats >= delta))
      if (i < 0) return false
      const c = channels[i]!
      channels[i] = { ...c, localBalanceSats: c.localBalanceSats + delta, remoteBalanceSats: c.remoteBalanceSats - delta }
      return true
    }

    /** lnd reports an open invoice past its expiry as canceled. */
    const current = (s: StoredInvoice, now: number): LnInvoice =>
      s.invoice.state === "OPEN" && now >= s.invoice.expiresAt ? { ...s.invoice, state: "CANCELED" } : s.invoice

    const findInvoice = (ref: string) => {
      const byHash = invoices.get(ref.toLowerCase())
      if (byHash !== undefined) return byHash
      for (const s of invoices.values()) if (s.invoice.paymentRequest === ref.trim().toLowerCase()) return s
      return undefined
    }

    const finish = (p: LnPayment, outcome: "succeed" | "fail"): LnPayment => {
      if (outcome === "fail") moveLocal(p.valueSats + p.feeSats)
      return outcome === "succeed"
        ? { ...p, status: "SUCCEEDED", preimage: bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32))) }
        : { ...p, status: "FAILED", failureReason: FAILURE_NO_ROUTE }
    }

    const lightning = Lightning.of({
      getInfo: Effect.fn("Lightning.getInfo")(function*() {
        yield* reachable
        return info
      }),

      addInvoice: Effect.fn("Lightning.addInvoice")(function*(input) {
        yield* reachable
        if (input.valueSats <= 0n || input.valueSats > BigInt(Number.MAX_SAFE_INTEGER)) {
          return yield* new LightningRejected({ reason: `invalid amount ${input.valueSats}` })
        }
        const now = yield* Clock.currentTimeMillis
        const preimage = yield* randomHex(32)
        const paymentHash = bytesToHex(sha256(hexToBytes(preimage)))
        const timestamp = Math.floor(now / 1000)
        const encoded = bolt11.encode({
          network: bolt11Network(network),
          satoshis: Number(input.valueSats),
          timestamp,
          tags: [
            { tagName: "payment_hash", data: paymentHash },
            { tagName: "payment_secret", data: yield* randomHex(32) },
            { tagName: "description", data: input.memo },
            { tagName: "expire_time", data: input.expirySeconds },
            { tagName: "min_final_cltv_expiry", data: 80 }
          ]
        })
        const signed = bolt11.sign(encoded, bytesToHex(nodeKey))
        addIndex++
        const invoice: LnInvoice = {
          paymentHash,
          paymentRequest: signed.paymentRequest!,
          valueSats: input.valueSats,
          amountPaidSats: 0n,
          memo: input.memo,
          state: "OPEN",
          addIndex,
          settleIndex: 0n,
          createdAt: timestamp * 1000,
          expiresAt: (timestamp + input.expirySeconds) * 1000,
          settledAt: null
        }
        invoices.set(paymentHash, { invoice, preimage })
        return invoice
      }),

      lookupInvoice: Effect.fn("Lightning.lookupInvoice")(function*(paymentHash: string) {
        yield* reachable
        const now = yield* Clock.currentTimeMillis
        return Option.map(Option.fromNullable(invoices.get(paymentHash.toLowerCase())), (s) => current(s, now))
      }),

      subscribeSettledInvoices: (fromIndex: bigint) =>
        Stream.unwrapScoped(
          Effect.gen(function*() {
            yield* reachable
            // Subscribe before reading the backlog, so a settlement in between is not lost (it may come twice).
            const live = yield* PubSub.subscribe(settledHub)
            const backlog = Array.from(invoices.values())
              .map((s) => s.invoice)
              .filter((i) => i.state === "SETTLED" && i.settleIndex > fromIndex)
              .sort((a, b) => (a.settleIndex < b.settleIndex ? -1 : 1))
            const drops = up.changes.pipe(
              Stream.filter((u) => !u),
              Stream.take(1),
              Stream.flatMap(() => Stream.fail(new LightningUnavailable({ reason: "simulated lnd closed the stream" })))
            )
            return Stream.merge(Stream.concat(Stream.fromIterable(backlog), Stream.fromQueue(live)), drops, { haltStrategy: "either" })
          })
        ).pipe(Stream.withSpan("Lightning.subscribeSettledInvoices")),

      sendPayment: Effect.fn("Lightning.sendPayment")(function*(input) {
        yield* reachable
        const now = yield* Clock.currentTimeMillis
        const d = yield* Either.mapLeft(decodeInvoice(input.paymentRequest), (e) => new LightningRejected({ reason: e.reason }))
        if (d.network !== network) return yield* new LightningRejected({ reason: `invoice is for ${d.network}, node runs ${network}` })
        if (d.amount_msat === null || d.amount_msat % 1000n !== 0n) {
          return yield* new LightningRejected({ reason: "invoice must ask for a whole number of sats" })
        }
        if (now >= d.expires_at) return yield* new LightningRejected({ reason: "invoice expired" })
        if (d.payee_pubkey === info.identityPubkey) return yield* new LightningRejected({ reason: "self-payments not allowed" })
        const previous = payments.get(d.payment_hash)
        if (previous?.status === "SUCCEEDED") return yield* new LightningRejected({ reason: "invoice is already paid" })
        if (previous?.status === "IN_FLIGHT") return yield* new LightningRejected({ reason: "payment is in transition" })
        const valueSats = d.amount_msat / 1000n
        const feeSats = routingFee(valueSats)
        const base: LnPayment = {
          paymentHash: d.payment_hash,
          status: "IN_FLIGHT",
          valueSats,
          feeSats,
          preimage: null,
          failureReason: null,
          createdAt: now
        }
        const mode = yield* Ref.get(behaviour)
        let payment: LnPayment
        if (feeSats > input.feeLimitSats) {
          payment = { ...base, status: "FAILED", failureReason: FAILURE_NO_ROUTE }
        } else if (!moveLocal(-(valueSats + feeSats))) {
          payment = { ...base, status: "FAILED", failureReason: FAILURE_INSUFFICIENT_BALANCE }
        } else {
          payment = mode === "in_flight" ? base : finish(base, mode)
        }
        payments.set(d.payment_hash, payment)
        return payment
      }),

      trackPayment: Effect.fn("Lightning.trackPayment")(function*(paymentHash: string) {
        yield* reachable
        return Option.fromNullable(payments.get(paymentHash.toLowerCase()))
      }),

      estimateFee: Effect.fn("Lightning.estimateFee")(function*(amountSats: bigint) {
        yield* reachable
        return { routingFeeSats: routingFee(amountSats), timeLockDelay: 144 }
      }),

      channelBalance: Effect.fn("Lightning.channelBalance")(function*() {
        yield* reachable
        return {
          localSats: channels.reduce((n, c) => n + c.localBalanceSats, 0n),
          remoteSats: channels.reduce((n, c) => n + c.remoteBalanceSats, 0n),
          pendingOpenLocalSats: 0n
        }
      }),

      walletBalance: Effect.fn("Lightning.walletBalance")(function*() {
        yield* reachable
        return { confirmedSats: 5_000_000n, unconfirmedSats: 0n }
      }),

      listChannels: Effect.fn("Lightning.listChannels")(function*() {
        yield* reachable
        return [...channels]
      })
    })

    const simulator = LightningSimulator.of({
      payInvoice: Effect.fn("LightningSimulator.payInvoice")(function*(ref: string) {
        const now = yield* Clock.currentTimeMillis
        const stored = findInvoice(ref)
        if (stored === undefined) return yield* new LightningRejected({ reason: "unknown invoice" })
        const inv = current(stored, now)
        if (inv.state === "SETTLED") return inv
        if (inv.state !== "OPEN") return yield* new LightningRejected({ reason: `invoice is ${inv.state}` })
        settleIndex++
        const settled: LnInvoice = { ...inv, state: "SETTLED", amountPaidSats: inv.valueSats, settleIndex, settledAt: now }
        invoices.set(inv.paymentHash, { ...stored, invoice: settled })
        moveLocal(inv.valueSats)
        yield* PubSub.publish(settledHub, settled)
        return settled
      }),
      replaySettlement: Effect.fn("LightningSimulator.replaySettlement")(function*(paymentHash: string) {
        const stored = invoices.get(paymentHash.toLowerCase())
        if (stored?.invoice.state !== "SETTLED") return yield* new LightningRejected({ reason: "invoice is not settled" })
        yield* PubSub.publish(settledHub, stored.invoice)
      }),
      setPaymentBehaviour: Effect.fn("LightningSimulator.setPaymentBehaviour")(function*(b: PaymentBehaviour) {
        yield* Ref.set(behaviour, b)
      }),
      resolvePayment: Effect.fn("LightningSimulator.resolvePayment")(function*(paymentHash: string, outcome: "succeed" | "fail") {
        const p = payments.get(paymentHash.toLowerCase())
        if (p?.status !== "IN_FLIGHT") return yield* new LightningRejected({ reason: "no payment in flight" })
        const done = finish(p, outcome)
        payments.set(p.paymentHash, done)
        return done
      }),
      setAvailable: Effect.fn("LightningSimulator.setAvailable")(function*(u: boolean) {
        yield* SubscriptionRef.set(up, u)
      }),
      payments: Effect.fn("LightningSimulator.payments")(function*() {
        return Array.from(payments.values())
      })
    })

    return { lightning, simulator }
  })

/** lnd simulated in memory (real BOLT11 invoices signed by its own node key), plus its controls. */
export const layer = (options: SimulatorOptions = {}): Layer.Layer<Lightning | LightningSimulator> =>
  Layer.effectContext(
    Effect.map(make(options), ({ lightning, simulator }) =>
      Context.make(Lightning, lightning).pipe(Context.add(LightningSimulator, simulator)))
  )
