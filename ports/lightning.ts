import { Context, Data, type Effect, type Option, type Stream } from "effect"

export interface LightningInfo {
  /** The node's compressed secp256k1 key, hex (the payee key of its invoices). */
  readonly identityPubkey: string
  readonly alias: string
  readonly network: "mainnet" | "testnet" | "signet" | "regtest"
  readonly blockHeight: number
  readonly version: string
}

export type InvoiceState = "OPEN" | "SETTLED" | "CANCELED" | "ACCEPTED"

/** lnrpc.Invoice, the fields the gateway reads. Amounts in sats; instants epoch ms. */
export interface LnInvoice {
  readonly paymentHash: string
  readonly paymentRequest: string
  readonly valueSats: bigint
  readonly amountPaidSats: bigint
  readonly memo: string
  readonly state: InvoiceState
  readonly addIndex: bigint
  /** 0 until settled; increases by one per settlement, so a subscriber can resume after it. */
  readonly settleIndex: bigint
  readonly createdAt: number
  readonly expiresAt: number
  readonly settledAt: number | null
}

export type PaymentStatus = "IN_FLIGHT" | "SUCCEEDED" | "FAILED"

/** routerrpc payment updates, the fields the gateway reads. */
export interface LnPayment {
  readonly paymentHash: string
  readonly status: PaymentStatus
  readonly valueSats: bigint
  readonly feeSats: bigint
  readonly preimage: string | null
  readonly failureReason: string | null
  readonly createdAt: number
}

export interface ChannelBalance {
  readonly localSats: bigint
  readonly remoteSats: bigint
  readonly pendingOpenLocalSats: bigint
}

export interface WalletBalance {
  readonly confirmedSats: bigint
  readonly unconfirmedSats: bigint
}

export interface Channel {
  readonly channelId: string
  readonly remotePubkey: string
  readonly capacitySats: bigint
  readonly localBalanceSats: bigint
  readonly remoteBalanceSats: bigint
  readonly active: boolean
}

export interface FeeEstimate {
  readonly routingFeeSats: bigint
  readonly timeLockDelay: number
}

/** lnd could not be reached, timed out, or the stream broke. The call may be retried. */
export class LightningUnavailable extends Data.TaggedError("LightningUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/** lnd refused the request (invalid invoice, already paid, payment in transition). Retrying the same request cannot succeed. */
export class LightningRejected extends Data.TaggedError("LightningRejected")<{
  readonly reason: string
}> {}

export type LightningError = LightningUnavailable | LightningRejected

/**
 * The Lightning node (lnd `lnrpc` + `routerrpc` subset). Invoice settlement
 * reaches the gateway as a subscription (SubscribeInvoices), never by polling;
 * a subscriber resumes after the last settle index it processed and may see a
 * settlement again after a reconnect, so consumers must be idempotent.
 */
export class Lightning extends Context.Tag("relaygate/Lightning")<
  Lightning,
  {
    readonly getInfo: () => Effect.Effect<LightningInfo, LightningError>
    /** AddInvoice: a BOLT11 invoice signed by the node key. */
    readonly addInvoice: (input: {
      readonly valueSats: bigint
      readonly memo: string
      readonly expirySeconds: number
    }) => Effect.Effect<LnInvoice, LightningError>
    readonly lookupInvoice: (paymentHash: string) => Effect.Effect<Option.Option<LnInvoice>, LightningError>
    /**
     * SubscribeInvoices from `settleIndex`: first every invoice settled after
     * that index, then each new settlement as it happens. The stream fails with
     * LightningUnavailable when the connection drops.
     */
    readonly subscribeSettledInvoices: (settleIndex: bigint) => Stream.Stream<LnInvoice, LightningUnavailable>
    /**
     * SendPaymentV2: pays the BOLT11 invoice, waiting up to `timeoutSeconds`
     * for a final outcome; IN_FLIGHT when there is none yet (TrackPayment
     * resolves it later).
     */
    readonly sendPayment: (input: {
      readonly paymentRequest: string
      readonly feeLimitSats: bigint
      readonly timeoutSeconds: number
    }) => Effect.Effect<LnPayment, LightningError>
    /** TrackPaymentV2: the current state of a payment; none when lnd never saw it. */
    readonly trackPayment: (paymentHash: string) => Effect.Effect<Option.Option<LnPayment>, LightningError>
    readonly estimateFee: (amountSats: bigint) => Effect.Effect<FeeEstimate, LightningError>
    readonly channelBalance: () => Effect.Effect<ChannelBalance, LightningError>
    readonly walletBalance: () => Effect.Effect<WalletBalance, LightningError>
    readonly listChannels: () => Effect.Effect<ReadonlyArray<Channel>, LightningError>
  }
>() {}
