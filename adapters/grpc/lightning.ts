/**
 * Lightning over lnd's gRPC API: lnrpc.Lightning for node, invoices and
 * balances, routerrpc.Router for payments (SendPaymentV2 / TrackPaymentV2;
 * SendPaymentSync is gone upstream).
 */
import * as grpc from "@grpc/grpc-js"
import { Context, Duration, Effect, Layer, Option, Ref, Schedule, Stream } from "effect"
import { isHexOfLength } from "../../core/shared/hex.js"
import { LndConnection, DaemonUnreachable } from "../../ports/daemon-connection.js"
import {
  type Channel,
  Lightning,
  type LightningError,
  type LightningInfo,
  LightningRejected,
  LightningUnavailable,
  type InvoiceState,
  type LnInvoice,
  type LnPayment,
  type PaymentStatus
} from "../../ports/lightning.js"
import {
  type Invoice,
  Invoice as InvoiceMessage,
  Invoice_InvoiceState,
  InvoiceSubscription,
  LightningService,
  ListInvoiceRequest,
  type Payment,
  Payment_PaymentStatus,
  PaymentFailureReason,
  PaymentHash
} from "./gen/lnrpc/lightning.js"
import { RouterService, SendPaymentRequest, TrackPaymentRequest } from "./gen/routerrpc/router.js"
import * as Transport from "./transport.js"

export interface LndSettings {
  readonly host: string
  readonly port: number
  /** lnd's tls.cert; without one the system CAs must vouch for lnd's certificate. */
  readonly tlsCertPath: string | undefined
  /** The name lnd's certificate carries, when it does not name `host`. */
  readonly tlsServerName?: string | undefined
  /** Usually admin.macaroon (invoices and payments need write access). */
  readonly macaroonPath: string | undefined
  /** Deadline of each unary call; 15 s unless set. */
  readonly callTimeout?: Duration.DurationInput
}

const LIST_PAGE = 1_000n
/** How long past lnd's own payment timeout we wait for its final word before calling a payment in flight. */
const PAYMENT_GRACE = Duration.seconds(1)

// lnd reports most refusals as UNKNOWN with a message; these UNKNOWNs mean lnd cannot serve anyone right now.
const NOT_SERVING = /macaroon|verification failed|permission denied|wallet locked|not yet ready|still in the process of starting|server is not active|rpc server is shutting down/i

const toError = (e: Transport.GrpcCallFailed): LightningError =>
  Transport.isRefusal(e) || (e.code === grpc.status.UNKNOWN && !NOT_SERVING.test(e.details))
    ? new LightningRejected({ reason: e.details })
    : new LightningUnavailable({ reason: e.message, cause: e })

const toUnavailable = (e: Transport.GrpcCallFailed) => new LightningUnavailable({ reason: e.message, cause: e })

const isNotFound = (e: Transport.GrpcCallFailed, pattern: RegExp) =>
  e.code === grpc.status.NOT_FOUND || (e.code === grpc.status.UNKNOWN && pattern.test(e.details))

const NETWORKS: Readonly<Record<string, LightningInfo["network"]>> = {
  mainnet: "mainnet",
  testnet: "testnet",
  testnet3: "testnet",
  testnet4: "testnet",
  signet: "signet",
  regtest: "regtest",
  simnet: "regtest"
}

const INVOICE_STATES: Readonly<Partial<Record<Invoice_InvoiceState, InvoiceState>>> = {
  [Invoice_InvoiceState.OPEN]: "OPEN",
  [Invoice_InvoiceState.SETTLED]: "SETTLED",
  [Invoice_InvoiceState.CANCELED]: "CANCELED",
  [Invoice_InvoiceState.ACCEPTED]: "ACCEPTED"
}

const toInvoice = (i: Invoice): LnInvoice => {
  const created = Number(i.creationDate)
  return {
    paymentHash: i.rHash.toString("hex"),
    paymentRequest: i.paymentRequest,
    valueSats: i.value,
    amountPaidSats: i.amtPaidSat,
    memo: i.memo,
    state: INVOICE_STATES[i.state] ?? "OPEN",
    addIndex: i.addIndex,
    settleIndex: i.settleIndex,
    createdAt: created * 1000,
    expiresAt: (created + Number(i.expiry)) * 1000,
    settledAt: i.settleDate > 0n ? Number(i.settleDate) * 1000 : null
  }
}

const PAYMENT_STATUSES: Readonly<Partial<Record<Payment_PaymentStatus, PaymentStatus>>> = {
  [Payment_PaymentStatus.SUCCEEDED]: "SUCCEEDED",
  [Payment_PaymentStatus.FAILED]: "FAILED"
}

const toPayment = (p: Payment): LnPayment => {
  const status = PAYMENT_STATUSES[p.status] ?? "IN_FLIGHT"
  return {
    paymentHash: p.paymentHash,
    status,
    valueSats: p.valueSat,
    feeSats: p.feeSat,
    preimage: status === "SUCCEEDED" && p.paymentPreimage !== "" ? p.paymentPreimage : null,
    failureReason: p.failureReason === PaymentFailureReason.FAILURE_REASON_NONE ? null : PaymentFailureReason[p.failureReason] ?? String(p.failureReason),
    createdAt: Math.floor(Number(p.creationTimeNs / 1_000_000n))
  }
}

/** lnd's short channel id as block x tx x output. */
const shortChannelId = (id: bigint) => `${id >> 40n}x${(id >> 16n) & 0xffffffn}x${id & 0xffffn}`

const hashBytes = (paymentHash: string) =>
  isHexOfLength(paymentHash, 32)
    ? Effect.succeed(Buffer.from(paymentHash, "hex"))
    : Effect.fail(new LightningRejected({ reason: `${paymentHash} is not a 32-byte payment hash` }))

export const make = (settings: LndSettings) =>
  Effect.gen(function*() {
    const conn = yield* Transport.connect({
      daemon: "lnd",
      host: settings.host,
      port: settings.port,
      security: { _tag: "Tls", certPath: settings.tlsCertPath, serverName: settings.tlsServerName },
      macaroonPath: settings.macaroonPath,
      callTimeout: settings.callTimeout ?? Duration.seconds(15)
    })
    const call = <Req, Res>(method: Transport.MethodDef<Req, Res>, request: Req) =>
      Effect.mapError(conn.unary(method, request), toError)

    const lookup = (paymentHash: string) =>
      Effect.flatMap(hashBytes(paymentHash), (rHash) =>
        conn.unary(LightningService.lookupInvoice, PaymentHash.create({ rHash })).pipe(
          Effect.map((i) => Option.some(toInvoice(i))),
          Effect.catchIf((e) => isNotFound(e, /unable to locate invoice|no existing invoices|invoice not found/i), () => Effect.succeedNone),
          Effect.mapError((e) => (e instanceof Transport.GrpcCallFailed ? toError(e) : e))
        ))

    /** Every settled invoice, oldest settlement first (ListInvoices pages by add index). */
    const settledBacklog = Effect.gen(function*() {
      const settled: Array<LnInvoice> = []
      let offset = 0n
      while (true) {
        const page = yield* conn.unary(
          LightningService.listInvoices,
          ListInvoiceRequest.create({ indexOffset: offset, numMaxInvoices: LIST_PAGE })
        )
        for (const i of page.invoices) if (i.state === Invoice_InvoiceState.SETTLED) settled.push(toInvoice(i))
        if (BigInt(page.invoices.length) < LIST_PAGE || page.lastIndexOffset <= offset) break
        offset = page.lastIndexOffset
      }
      return settled.sort((a, b) => (a.settleIndex < b.settleIndex ? -1 : a.settleIndex > b.settleIndex ? 1 : 0))
    })

    /** The first update of TrackPaymentV2 is the payment's current state; none when lnd never saw it. */
    const track = (paymentHash: string) =>
      Effect.flatMap(hashBytes(paymentHash), (hash) =>
        conn.serverStream(RouterService.trackPaymentV2, TrackPaymentRequest.create({ paymentHash: hash }), {}, { deadline: settings.callTimeout ?? Duration.seconds(15) }).pipe(
          Stream.take(1),
          Stream.runHead,
          Effect.map(Option.map(toPayment)),
          Effect.catchIf((e) => isNotFound(e, /payment isn't initiated|not found/i), () => Effect.succeedNone),
          Effect.mapError((e) => (e instanceof Transport.GrpcCallFailed ? toError(e) : e))
        ))

    /** The payment hash of a BOLT11 request, as lnd decodes it. */
    const hashOf = (paymentRequest: string) =>
      Effect.map(call(LightningService.decodePayReq, { payReq: paymentRequest }), (d) => d.paymentHash)

    const lightning = Lightning.of({
      getInfo: Effect.fn("Lightning.getInfo")(function*() {
        const r = yield* call(LightningService.getInfo, {})
        const reported = r.chains[0]?.network ?? ""
        const network = NETWORKS[reported]
        if (network === undefined) return yield* new LightningUnavailable({ reason: `lnd runs on an unknown network ${JSON.stringify(reported)}` })
        return { identityPubkey: r.identityPubkey, alias: r.alias, network, blockHeight: r.blockHeight, version: r.version }
      }),

      addInvoice: Effect.fn("Lightning.addInvoice")(function*(input) {
        // lnd would accept 0 (an open-amount invoice); the port only issues invoices for an amount.
        if (input.valueSats <= 0n || input.valueSats > BigInt(Number.MAX_SAFE_INTEGER)) {
          return yield* new LightningRejected({ reason: `invalid amount ${input.valueSats}` })
        }
        const added = yield* call(
          LightningService.addInvoice,
          InvoiceMessage.create({ memo: input.memo, value: input.valueSats, expiry: BigInt(input.expirySeconds) })
        )
        const paymentHash = added.rHash.toString("hex")
        const stored = yield* lookup(paymentHash)
        return yield* Option.match(stored, {
          onSome: Effect.succeed,
          onNone: () => Effect.fail(new LightningUnavailable({ reason: `lnd lost invoice ${paymentHash} right after adding it` }))
        })
      }),

      lookupInvoice: Effect.fn("Lightning.lookupInvoice")(function*(paymentHash: string) {
        return yield* lookup(paymentHash)
      }),

      subscribeSettledInvoices: (fromIndex: bigint) =>
        Stream.unwrap(Effect.gen(function*() {
          // lnd reads settle_index 0 as "live only", so a subscription from the very beginning lists the backlog first.
          const backlog = fromIndex === 0n ? yield* settledBacklog : []
          const after = backlog.at(-1)?.settleIndex ?? fromIndex
          const live = conn.serverStream(LightningService.subscribeInvoices, InvoiceSubscription.create({ settleIndex: after })).pipe(
            Stream.map(toInvoice),
            Stream.concat(Stream.fail(new Transport.GrpcCallFailed({ daemon: "lnd", method: "SubscribeInvoices", code: grpc.status.UNAVAILABLE, details: "lnd ended the invoice subscription" })))
          )
          const seen = yield* Ref.make(fromIndex)
          // Add events and anything at or below the resume point are not new settlements.
          return Stream.concat(Stream.fromIterable(backlog), live).pipe(
            Stream.filterEffect((i) =>
              i.state !== "SETTLED" ? Effect.succeed(false) : Ref.modify(seen, (last) => (i.settleIndex > last ? [true, i.settleIndex] : [false, last])))
          )
        })).pipe(Stream.mapError(toUnavailable), Stream.withSpan("Lightning.subscribeSettledInvoices")),

      sendPayment: Effect.fn("Lightning.sendPayment")(function*(input) {
        const latest = yield* Ref.make(Option.none<LnPayment>())
        const wait = Duration.sum(Duration.seconds(input.timeoutSeconds), PAYMENT_GRACE)
        // Wall-clock end of the wait, shared by the payment stream and any resumption through TrackPaymentV2.
        const until = Date.now() + Duration.toMillis(wait)
        const remaining = () => Duration.millis(Math.max(1, until - Date.now()))
        const untilFinal = (updates: Stream.Stream<Payment, Transport.GrpcCallFailed>) =>
          updates.pipe(
            Stream.map(toPayment),
            Stream.takeUntil((p) => p.status !== "IN_FLIGHT"),
            Stream.runForEach((p) => Ref.set(latest, Option.some(p)))
          )
        let outcome = yield* untilFinal(conn.serverStream(
          RouterService.sendPaymentV2,
          SendPaymentRequest.create({ paymentRequest: input.paymentRequest, feeLimitSat: input.feeLimitSats, timeoutSeconds: input.timeoutSeconds }),
          {},
          { deadline: remaining() }
        )).pipe(Effect.either)
        const started = yield* Ref.get(latest)
        if (outcome._tag === "Left" && Option.isSome(started) && !Transport.isRefusal(outcome.left) && outcome.left.code !== grpc.status.DEADLINE_EXCEEDED) {
          // lnd took the payment and then the stream broke: follow it through TrackPaymentV2 until the wait is over.
          const hash = Buffer.from(started.value.paymentHash, "hex")
          outcome = yield* Effect.suspend(() =>
            untilFinal(conn.serverStream(RouterService.trackPaymentV2, TrackPaymentRequest.create({ paymentHash: hash }), {}, { deadline: remaining() }))
          ).pipe(
            Effect.retry({
              schedule: Schedule.spaced("250 millis"),
              while: (e) => !Transport.isRefusal(e) && e.code !== grpc.status.DEADLINE_EXCEEDED && Date.now() < until
            }),
            Effect.either
          )
        }
        const last = yield* Ref.get(latest)
        if (outcome._tag === "Left") {
          const e = outcome.left
          // No final word in time: the payment is in flight, as far as lnd let us see.
          if (e.code !== grpc.status.DEADLINE_EXCEEDED && Option.isNone(last)) return yield* toError(e)
          if (Option.isSome(last)) return last.value
          const tracked = yield* track(yield* hashOf(input.paymentRequest))
          if (Option.isSome(tracked)) return tracked.value
          return yield* new LightningUnavailable({ reason: `lnd gave no payment update within ${Duration.format(wait)}` })
        }
        if (Option.isSome(last)) return last.value
        return yield* new LightningUnavailable({ reason: "lnd ended SendPaymentV2 without a payment update" })
      }),

      trackPayment: Effect.fn("Lightning.trackPayment")(function*(paymentHash: string) {
        return yield* track(paymentHash.toLowerCase())
      }),

      estimateFee: Effect.fn("Lightning.estimateFee")(function*(amountSats: bigint) {
        // EstimateRouteFee needs a destination, which a bare amount lacks; this is the usual public-network
        // price (1 sat base + 1000 ppm), checked against a node that answers.
        yield* call(LightningService.getInfo, {})
        return { routingFeeSats: 1n + (amountSats + 999n) / 1000n, timeLockDelay: 144 }
      }),

      channelBalance: Effect.fn("Lightning.channelBalance")(function*() {
        const r = yield* call(LightningService.channelBalance, {})
        return {
          localSats: r.localBalance?.sat ?? 0n,
          remoteSats: r.remoteBalance?.sat ?? 0n,
          pendingOpenLocalSats: r.pendingOpenLocalBalance?.sat ?? 0n
        }
      }),

      walletBalance: Effect.fn("Lightning.walletBalance")(function*() {
        const r = yield* call(LightningService.walletBalance, { account: "", minConfs: 0 })
        return { confirmedSats: r.confirmedBalance, unconfirmedSats: r.unconfirmedBalance }
      }),

      listChannels: Effect.fn("Lightning.listChannels")(function*() {
        const r = yield* call(LightningService.listChannels, {
          activeOnly: false,
          inactiveOnly: false,
          publicOnly: false,
          privateOnly: false,
          peer: Buffer.alloc(0)
        })
        return r.channels.map((c): Channel => ({
          channelId: shortChannelId(c.chanId),
          remotePubkey: c.remotePubkey,
          capacitySats: c.capacity,
          localBalanceSats: c.localBalance,
          remoteBalanceSats: c.remoteBalance,
          active: c.active
        }))
      })
    })

    const connection = LndConnection.of({
      daemon: "lnd",
      adapter: "grpc",
      target: conn.target,
      reconnect: () =>
        Effect.gen(function*() {
          yield* conn.reconnect
          yield* lightning.getInfo()
        }).pipe(Effect.mapError((e) => new DaemonUnreachable({ daemon: "lnd", reason: e.reason, cause: e })))
    })

    return { lightning, connection }
  })

/** Fails only when the TLS certificate or macaroon file cannot be read; lnd itself may be down. */
export const layer = (settings: LndSettings): Layer.Layer<Lightning | LndConnection, Transport.GrpcSetupFailed> =>
  Layer.scopedContext(
    Effect.map(make(settings), ({ lightning, connection }) => Context.make(Lightning, lightning).pipe(Context.add(LndConnection, connection)))
  )
