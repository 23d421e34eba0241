/**
 * lnd's lnrpc.Lightning + routerrpc.Router served over gRPC by the simulated
 * lnd (adapters/memory/lightning.ts), so the gRPC adapter runs the same
 * Lightning contract. It keeps lnd's habits: refusals as UNKNOWN with a
 * message, "already paid" as ALREADY_EXISTS, SubscribeInvoices with
 * settle_index 0 meaning "live only", payment streams that stay open while a
 * payment is in flight.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect, Either, Option, Ref, type Scope, Stream } from "effect"
import {
  AddInvoiceResponse,
  ChannelBalanceResponse,
  GetInfoResponse,
  Invoice,
  Invoice_InvoiceState,
  LightningService,
  ListChannelsResponse,
  ListInvoiceResponse,
  PayReq,
  Payment,
  Payment_PaymentStatus,
  PaymentFailureReason,
  WalletBalanceResponse
} from "../../adapters/grpc/gen/lnrpc/lightning.js"
import { RouterService } from "../../adapters/grpc/gen/routerrpc/router.js"
import { decodeInvoice } from "../../core/lightning/invoice.js"
import { Lightning, type LightningError, type LnInvoice, type LnPayment } from "../../ports/lightning.js"
import { type FakeServer, type FakeServerOptions, serve, status } from "./fake-daemon.js"

export interface FakeLnd extends FakeServer {
  /** SubscribeInvoices calls answered so far, with the settle_index each asked to resume after. */
  readonly subscriptions: Effect.Effect<ReadonlyArray<bigint>>
}

const grpcStatusOf = (e: LightningError) =>
  e._tag === "LightningUnavailable"
    ? status(grpc.status.UNAVAILABLE, e.reason)
    : /already paid|in transition/.test(e.reason)
    ? status(grpc.status.ALREADY_EXISTS, e.reason)
    : status(grpc.status.UNKNOWN, e.reason)

const INVOICE_STATE = { OPEN: Invoice_InvoiceState.OPEN, SETTLED: Invoice_InvoiceState.SETTLED, CANCELED: Invoice_InvoiceState.CANCELED, ACCEPTED: Invoice_InvoiceState.ACCEPTED } as const
const PAYMENT_STATUS = { IN_FLIGHT: Payment_PaymentStatus.IN_FLIGHT, SUCCEEDED: Payment_PaymentStatus.SUCCEEDED, FAILED: Payment_PaymentStatus.FAILED } as const

export const invoiceMessage = (i: LnInvoice) =>
  Invoice.create({
    memo: i.memo,
    rHash: Buffer.from(i.paymentHash, "hex"),
    value: i.valueSats,
    valueMsat: i.valueSats * 1000n,
    settled: i.state === "SETTLED",
    creationDate: BigInt(Math.floor(i.createdAt / 1000)),
    settleDate: i.settledAt === null ? 0n : BigInt(Math.floor(i.settledAt / 1000)),
    paymentRequest: i.paymentRequest,
    expiry: BigInt(Math.floor((i.expiresAt - i.createdAt) / 1000)),
    addIndex: i.addIndex,
    settleIndex: i.settleIndex,
    amtPaidSat: i.amountPaidSats,
    amtPaidMsat: i.amountPaidSats * 1000n,
    state: INVOICE_STATE[i.state]
  })

const paymentMessage = (p: LnPayment) =>
  Payment.create({
    paymentHash: p.paymentHash,
    valueSat: p.valueSats,
    valueMsat: p.valueSats * 1000n,
    feeSat: p.feeSats,
    feeMsat: p.feeSats * 1000n,
    paymentPreimage: p.preimage ?? "",
    status: PAYMENT_STATUS[p.status],
    creationTimeNs: BigInt(p.createdAt) * 1_000_000n,
    failureReason: p.failureReason === null
      ? PaymentFailureReason.FAILURE_REASON_NONE
      : PaymentFailureReason[p.failureReason as keyof typeof PaymentFailureReason] ?? PaymentFailureReason.FAILURE_REASON_ERROR
  })

const channelId = (scid: string) => {
  const [block, tx, out] = scid.split("x").map((n) => BigInt(n))
  return (block! << 40n) | (tx! << 16n) | out!
}

// lnd pushes payment updates as they happen; the fake looks every 25 ms of real time (the simulator may run on a TestClock).
const pause = Effect.promise(() => new Promise<void>((r) => setTimeout(r, 25)))

/** Serves the Lightning and LightningSimulator in context (the simulated lnd) on 127.0.0.1. */
export const fakeLnd = (options: FakeServerOptions = {}): Effect.Effect<FakeLnd, never, Lightning | Scope.Scope> =>
  Effect.gen(function*() {
    const ln = yield* Lightning
    const created = yield* Ref.make<ReadonlyArray<string>>([])
    const subscriptions = yield* Ref.make<ReadonlyArray<bigint>>([])
    const node = <A>(effect: Effect.Effect<A, LightningError>) => Effect.mapError(effect, grpcStatusOf)

    /** Every invoice this node issued, as lnd's invoice database would list it. */
    const invoices = node(Effect.gen(function*() {
      yield* ln.getInfo()
      const found = yield* Effect.forEach(yield* Ref.get(created), (h) => ln.lookupInvoice(h))
      return found.flatMap(Option.toArray).sort((a, b) => (a.addIndex < b.addIndex ? -1 : 1))
    }))

    /** Streams a payment's updates until it is final, like lnd's payment streams. */
    const follow = (first: LnPayment, send: (m: Payment) => void) =>
      Effect.gen(function*() {
        send(paymentMessage(first))
        let last = first
        while (last.status === "IN_FLIGHT") {
          yield* pause
          const now = yield* node(ln.trackPayment(last.paymentHash))
          if (Option.isSome(now) && now.value.status !== last.status) {
            last = now.value
            send(paymentMessage(last))
          }
        }
      })

    const server = yield* serve((h) => [
      [LightningService, {
        getInfo: h.unary(() =>
          Effect.map(node(ln.getInfo()), (i) =>
            GetInfoResponse.create({
              identityPubkey: i.identityPubkey,
              alias: i.alias,
              blockHeight: i.blockHeight,
              version: i.version,
              syncedToChain: true,
              chains: [{ chain: "bitcoin", network: i.network }]
            }))),
        walletBalance: h.unary(() =>
          Effect.map(node(ln.walletBalance()), (b) =>
            WalletBalanceResponse.create({ totalBalance: b.confirmedSats + b.unconfirmedSats, confirmedBalance: b.confirmedSats, unconfirmedBalance: b.unconfirmedSats }))),
        channelBalance: h.unary(() =>
          Effect.map(node(ln.channelBalance()), (b) =>
            ChannelBalanceResponse.create({
              localBalance: { sat: b.localSats, msat: b.localSats * 1000n },
              remoteBalance: { sat: b.remoteSats, msat: b.remoteSats * 1000n },
              pendingOpenLocalBalance: { sat: b.pendingOpenLocalSats, msat: b.pendingOpenLocalSats * 1000n }
            }))),
        listChannels: h.unary(() =>
          Effect.map(node(ln.listChannels()), (cs) =>
            ListChannelsResponse.create({
              channels: cs.map((c) => ({
                active: c.active,
                remotePubkey: c.remotePubkey,
                chanId: channelId(c.channelId),
                capacity: c.capacitySats,
                localBalance: c.localBalanceSats,
                remoteBalance: c.remoteBalanceSats
              }))
            }))),
        addInvoice: h.unary((req: Invoice) =>
          Effect.gen(function*() {
            const inv = yield* node(ln.addInvoice({ valueSats: req.value, memo: req.memo, expirySeconds: Number(req.expiry) || 86_400 }))
            yield* Ref.update(created, (hs) => [...hs, inv.paymentHash])
            return AddInvoiceResponse.create({ rHash: Buffer.from(inv.paymentHash, "hex"), paymentRequest: inv.paymentRequest, addIndex: inv.addIndex })
          })),
        lookupInvoice: h.unary((req: { rHash: Buffer }) =>
          Effect.flatMap(node(ln.lookupInvoice(req.rHash.toString("hex"))), Option.match({
            onNone: () => Effect.fail(status(grpc.status.NOT_FOUND, "unable to locate invoice")),
            onSome: (i) => Effect.succeed(invoiceMessage(i))
          }))),
        listInvoices: h.unary((req: { indexOffset: bigint; numMaxInvoices: bigint }) =>
          Effect.map(invoices, (all) => {
            const page = all.filter((i) => i.addIndex > req.indexOffset).slice(0, Number(req.numMaxInvoices || 100n))
            return ListInvoiceResponse.create({
              invoices: page.map(invoiceMessage),
              firstIndexOffset: page[0]?.addIndex ?? 0n,
              lastIndexOffset: page.at(-1)?.addIndex ?? 0n
            })
          })),
        subscribeInvoices: h.stream((req: { settleIndex: bigint }, send: (m: Invoice) => void) =>
          Effect.gen(function*() {
            yield* Ref.update(subscriptions, (s) => [...s, req.settleIndex])
            const from = req.settleIndex > 0n
              ? req.settleIndex
              : (yield* invoices).reduce((m, i) => (i.settleIndex > m ? i.settleIndex : m), 0n)
            yield* ln.subscribeSettledInvoices(from).pipe(
              Stream.runForEach((i) => Effect.sync(() => send(invoiceMessage(i)))),
              Effect.mapError(grpcStatusOf)
            )
          })),
        decodePayReq: h.unary((req: { payReq: string }) =>
          Either.match(decodeInvoice(req.payReq), {
            onLeft: (e) => Effect.fail(status(grpc.status.UNKNOWN, e.reason)),
            onRight: (d) =>
              Effect.succeed(PayReq.create({
                destination: d.payee_pubkey,
                paymentHash: d.payment_hash,
                numSatoshis: d.amount_msat === null ? 0n : d.amount_msat / 1000n,
                numMsat: d.amount_msat ?? 0n,
                timestamp: BigInt(d.timestamp / 1000),
                expiry: BigInt((d.expires_at - d.timestamp) / 1000),
                description: d.description
              }))
          }))
      }],
      [RouterService, {
        sendPaymentV2: h.stream((req: { paymentRequest: string; feeLimitSat: bigint; timeoutSeconds: number }, send: (m: Payment) => void) =>
          Effect.flatMap(
            node(ln.sendPayment({ paymentRequest: req.paymentRequest, feeLimitSats: req.feeLimitSat, timeoutSeconds: req.timeoutSeconds })),
            (p) => follow(p, send)
          )),
        trackPaymentV2: h.stream((req: { paymentHash: Buffer }, send: (m: Payment) => void) =>
          Effect.flatMap(node(ln.trackPayment(req.paymentHash.toString("hex"))), Option.match({
            onNone: () => Effect.fail(status(grpc.status.NOT_FOUND, "payment isn't initiated")),
            onSome: (p) => follow(p, send)
          })))
      }]
    ], options)

    return { ...server, subscriptions: Ref.get(subscriptions) }
  })
