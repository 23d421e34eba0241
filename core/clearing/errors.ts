import { Schema } from "effect"

export class PacketNotFound extends Schema.TaggedError<PacketNotFound>()("PacketNotFound", {
  packet_id: Schema.String
}) {
  override get message() {
    return `Packet ${this.packet_id} has not been seen on any watched chain`
  }
}

/** The packet cannot be cleared: already delivered, expired, or not old enough to count as stuck. */
export class PacketNotStuck extends Schema.TaggedError<PacketNotStuck>()("PacketNotStuck", {
  packet_id: Schema.String,
  status: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Packet ${this.packet_id} is not eligible for clearing: ${this.reason}`
  }
}

export class InvalidClearingRequest extends Schema.TaggedError<InvalidClearingRequest>()("InvalidClearingRequest", {
  reason: Schema.String
}) {
  override get message() {
    return `Invalid clearing request: ${this.reason}`
  }
}

export class ClearingNotFound extends Schema.TaggedError<ClearingNotFound>()("ClearingNotFound", {
  token: Schema.String
}) {
  override get message() {
    return `No clearing request with token ${this.token}`
  }
}

export class InvalidClearingState extends Schema.TaggedError<InvalidClearingState>()("InvalidClearingState", {
  token: Schema.String,
  status: Schema.String,
  action: Schema.String
}) {
  override get message() {
    return `Cannot ${this.action}: clearing ${this.token} is ${this.status}`
  }
}

/** 10 clearing requests per hour per user. */
export class ClearingRateLimited extends Schema.TaggedError<ClearingRateLimited>()("ClearingRateLimited", {
  user_id: Schema.String,
  limit: Schema.Number,
  retry_after_seconds: Schema.Number
}) {
  override get message() {
    return `At most ${this.limit} clearing requests per hour; retry in ${this.retry_after_seconds} s`
  }
}

export class QuoteExpired extends Schema.TaggedError<QuoteExpired>()("QuoteExpired", {
  token: Schema.String
}) {
  override get message() {
    return `The fee quote of clearing ${this.token} has expired; request a new clearing`
  }
}

export class PaymentTxNotFound extends Schema.TaggedError<PaymentTxNotFound>()("PaymentTxNotFound", {
  chain_id: Schema.String,
  tx_hash: Schema.String
}) {
  override get message() {
    return `Transaction ${this.tx_hash} was not found on ${this.chain_id} (yet)`
  }
}

/** The transaction exists but does not pay this clearing. */
export class PaymentRejected extends Schema.TaggedError<PaymentRejected>()("PaymentRejected", {
  token: Schema.String,
  tx_hash: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Payment ${this.tx_hash} rejected: ${this.reason}`
  }
}

/** A payment transaction pays for one clearing only. */
export class PaymentAlreadyUsed extends Schema.TaggedError<PaymentAlreadyUsed>()("PaymentAlreadyUsed", {
  tx_hash: Schema.String
}) {
  override get message() {
    return `Transaction ${this.tx_hash} has already been used to pay for another clearing`
  }
}

/** Clearing cannot run: no relayer, or no payment address for the chain, is configured. */
export class ClearingUnavailable extends Schema.TaggedError<ClearingUnavailable>()("ClearingUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `Clearing is unavailable: ${this.reason}`
  }
}

/** A chain's RPC / REST endpoint needed for this operation is not answering. */
export class ChainUnavailable extends Schema.TaggedError<ChainUnavailable>()("ChainUnavailable", {
  chain_id: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Chain ${this.chain_id} is unavailable: ${this.reason}`
  }
}

export const ClearingError = Schema.Union(
  PacketNotFound,
  PacketNotStuck,
  InvalidClearingRequest,
  ClearingNotFound,
  InvalidClearingState,
  ClearingRateLimited,
  QuoteExpired,
  PaymentTxNotFound,
  PaymentRejected,
  PaymentAlreadyUsed,
  ClearingUnavailable,
  ChainUnavailable
)
export type ClearingError = typeof ClearingError.Type
