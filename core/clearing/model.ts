import { Schema } from "effect"

/*
 * IBC packets as the chains themselves report them (send_packet, recv_packet,
 * acknowledge_packet, timeout_packet events), clearing requests, and the
 * Chainpulse metrics snapshot. Heights and sequences are JS numbers (CometBFT
 * heights and IBC sequences stay far below 2^53); token amounts and
 * nanosecond timestamps are bigint.
 */

/** `revision_number-revision_height`, e.g. `1-19800000`; `0-0` means "no height timeout". */
export const Height = Schema.Struct({
  revision_number: Schema.Number,
  revision_height: Schema.Number
})
export type Height = typeof Height.Type

/** ICS-20 FungibleTokenPacketData. `amount` is a uint256 decimal string on the wire. */
export const Ics20Data = Schema.Struct({
  sender: Schema.String,
  receiver: Schema.String,
  amount: Schema.BigInt,
  denom: Schema.String,
  memo: Schema.String
})
export type Ics20Data = typeof Ics20Data.Type

/** Both channel ends and the sequence: what every packet event carries. */
export const PacketRoute = Schema.Struct({
  src_port: Schema.String,
  src_channel: Schema.String,
  dst_port: Schema.String,
  dst_channel: Schema.String,
  sequence: Schema.Number
})
export type PacketRoute = typeof PacketRoute.Type

/**
 * A packet's identity: its source chain, source channel and sequence. Channel
 * ids are unique per chain whatever the port, so the port is not needed.
 */
export const PacketKey = Schema.Struct({
  chain_id: Schema.String,
  src_channel: Schema.String,
  sequence: Schema.Number
})
export type PacketKey = typeof PacketKey.Type

/** The id clients use: `cosmoshub-4-channel-141-123`. */
export const packetId = (k: PacketKey): string => `${k.chain_id}-${k.src_channel}-${k.sequence}`

/** Parses `packetId` back; chain ids may contain dashes, channel ids are `channel-N`. */
export const parsePacketId = (id: string): PacketKey | undefined => {
  const m = /^(.+)-(channel-\d+)-(\d+)$/.exec(id)
  if (m === null) return undefined
  const sequence = Number(m[3])
  return Number.isSafeInteger(sequence) ? { chain_id: m[1]!, src_channel: m[2]!, sequence } : undefined
}

export const routeKey = (r: PacketRoute): string =>
  `${r.src_port}/${r.src_channel}/${r.dst_port}/${r.dst_channel}/${r.sequence}`

/** The transaction that carried a packet event, on the chain where it happened. */
export const Sighting = Schema.Struct({
  chain_id: Schema.String,
  height: Schema.Number,
  /** Block time, epoch ms. */
  time: Schema.Number,
  tx_hash: Schema.String
})
export type Sighting = typeof Sighting.Type

export const Packet = Schema.Struct({
  /** Source chain: where send_packet was emitted. */
  chain_id: Schema.String,
  ...PacketRoute.fields,
  /** Destination chain, once known from a recv_packet event or an earlier packet on the same channel. */
  dst_chain_id: Schema.NullOr(Schema.String),
  /** Null when the packet is not an ICS-20 transfer. */
  data: Schema.NullOr(Ics20Data),
  /** sha256 of the packet data bytes, lower-case hex. */
  data_hash: Schema.String,
  timeout_height: Schema.NullOr(Height),
  /** Nanoseconds since the epoch. */
  timeout_timestamp: Schema.NullOr(Schema.BigInt),
  sent: Sighting,
  received: Schema.NullOr(Sighting),
  acknowledged: Schema.NullOr(Sighting),
  timed_out: Schema.NullOr(Sighting),
  /** Relay transactions seen for this packet (recv, ack, timeout), each counted once. */
  relay_attempts: Schema.Number,
  /** Ids of the chain events already applied; makes re-applying any event a no-op. */
  seen_events: Schema.Array(Schema.String)
})
export type Packet = typeof Packet.Type

export const packetKeyOf = (p: { readonly chain_id: string; readonly src_channel: string; readonly sequence: number }): PacketKey => ({
  chain_id: p.chain_id,
  src_channel: p.src_channel,
  sequence: p.sequence
})

/** What a channel end on one chain connects to, learned from a delivered packet. */
export const ChannelLink = Schema.Struct({
  chain_id: Schema.String,
  port_id: Schema.String,
  channel_id: Schema.String,
  counterparty_chain_id: Schema.String
})
export type ChannelLink = typeof ChannelLink.Type

// ---------------------------------------------------------------- chain input

export const EventAttribute = Schema.Struct({ key: Schema.String, value: Schema.String })
export const TxEvent = Schema.Struct({ type: Schema.String, attributes: Schema.Array(EventAttribute) })
export type TxEvent = typeof TxEvent.Type

/** A committed transaction with its ABCI events, as a chain's RPC reports it. */
export const ChainTx = Schema.Struct({
  chain_id: Schema.String,
  height: Schema.Number,
  /** Block time, epoch ms. */
  time: Schema.Number,
  /** Upper-case hex, as explorers show it. */
  hash: Schema.String,
  code: Schema.Number,
  events: Schema.Array(TxEvent)
})
export type ChainTx = typeof ChainTx.Type

export const ChainHead = Schema.Struct({
  chain_id: Schema.String,
  height: Schema.Number,
  time: Schema.Number
})
export type ChainHead = typeof ChainHead.Type

const eventFields = {
  /** `<chain>:<tx hash>:<index of the event in the tx>`: identical for a live event and its backfilled copy. */
  event_id: Schema.String,
  ...PacketRoute.fields,
  at: Sighting
}

export const PacketSent = Schema.TaggedStruct("PacketSent", {
  ...eventFields,
  data: Schema.NullOr(Ics20Data),
  data_hash: Schema.String,
  timeout_height: Schema.NullOr(Height),
  timeout_timestamp: Schema.NullOr(Schema.BigInt)
})
export const PacketReceived = Schema.TaggedStruct("PacketReceived", eventFields)
export const PacketAcknowledged = Schema.TaggedStruct("PacketAcknowledged", eventFields)
export const PacketTimedOut = Schema.TaggedStruct("PacketTimedOut", eventFields)
export const PacketEvent = Schema.Union(PacketSent, PacketReceived, PacketAcknowledged, PacketTimedOut)
export type PacketEvent = typeof PacketEvent.Type

/**
 * Everything stored under one route (both channel ends + sequence): the packets
 * sent over it from any watched chain, relay events seen before their
 * send_packet (parked), and what is known about the source channel end.
 * The unit of one atomic store step.
 */
export interface PacketSlice {
  readonly packets: ReadonlyArray<Packet>
  readonly parked: ReadonlyArray<PacketEvent>
  /** Links whose (port, channel) is the route's source end, on any chain. */
  readonly links: ReadonlyArray<ChannelLink>
}

/** What to write back for a slice: upserted packets, the new parked list, new links. */
export interface SliceWrite {
  readonly put: ReadonlyArray<Packet>
  readonly parked: ReadonlyArray<PacketEvent>
  readonly links: ReadonlyArray<ChannelLink>
}


// ------------------------------------------------------------ classification

export const PACKET_STATUSES = ["pending", "delivered", "expired"] as const
export const PacketStatus = Schema.Literal(...PACKET_STATUSES)
export type PacketStatus = typeof PacketStatus.Type

export const TimeoutType = Schema.Literal("height", "timestamp")
export type TimeoutType = typeof TimeoutType.Type

/** A packet with everything derived from it at one instant. */
export interface PacketView {
  readonly packet: Packet
  readonly id: string
  readonly status: PacketStatus
  /** Destination chain from the packet or from what is known about its channel. */
  readonly dst_chain_id: string | null
  /** Seconds since send_packet's block time. */
  readonly age_seconds: number
  /** Seconds until the timestamp timeout, for pending packets that have one. */
  readonly expires_in_seconds: number | null
  readonly timeout_type: TimeoutType | null
  /** Known only for timestamp timeouts: when a height was passed is not observed. */
  readonly seconds_since_timeout: number | null
}

// ------------------------------------------------------------------ clearing

export const CLEARING_STATUSES = [
  "requested",
  "awaiting_payment",
  "paid",
  "clearing",
  "cleared",
  "failed",
  "refunded"
] as const
export const ClearingStatus = Schema.Literal(...CLEARING_STATUSES)
export type ClearingStatus = typeof ClearingStatus.Type

export const TERMINAL_CLEARING_STATUSES: ReadonlySet<ClearingStatus> = new Set(["cleared", "refunded"])

export const Coin = Schema.Struct({ amount: Schema.BigInt, denom: Schema.String })
export type Coin = typeof Coin.Type

/** What the user must pay, where, and with which memo. */
export const FeeQuote = Schema.Struct({
  chain_id: Schema.String,
  amount: Schema.BigInt,
  denom: Schema.String,
  per_packet: Schema.BigInt,
  pay_to: Schema.String,
  /** The memo must contain this (the clearing token). */
  memo: Schema.String,
  expires_at: Schema.Number
})
export type FeeQuote = typeof FeeQuote.Type

export const PaymentRecord = Schema.Struct({
  tx_hash: Schema.String,
  amount: Schema.BigInt,
  denom: Schema.String,
  height: Schema.Number,
  verified_at: Schema.Number
})
export type PaymentRecord = typeof PaymentRecord.Type

export const ClearingExecutor = Schema.Literal("rest", "cli", "simulated")
export type ClearingExecutor = typeof ClearingExecutor.Type

export const ClearingAttempt = Schema.Struct({
  executor: ClearingExecutor,
  /** `chain`: the relayer cleared the whole chain (Hermes REST); `sequences`: exactly ours (CLI). */
  scope: Schema.NullOr(Schema.Literal("chain", "sequences")),
  started_at: Schema.Number,
  /** Without an ack/recv event by then the clearing fails. */
  deadline_at: Schema.Number,
  /** What the relayer reported; informative only, delivery is judged by chain events. */
  relayer_tx_hashes: Schema.Array(Schema.String),
  reported_at: Schema.NullOr(Schema.Number)
})
export type ClearingAttempt = typeof ClearingAttempt.Type

export const ClearingRequest = Schema.Struct({
  token: Schema.String,
  user_id: Schema.String,
  wallet_address: Schema.NullOr(Schema.String),
  chain_id: Schema.String,
  packets: Schema.Array(PacketKey),
  status: ClearingStatus,
  quote: Schema.NullOr(FeeQuote),
  payment: Schema.NullOr(PaymentRecord),
  attempt: Schema.NullOr(ClearingAttempt),
  /** packet ids whose recv or ack event has been seen since payment. */
  delivered: Schema.Array(Schema.String),
  /** tx hashes of the delivering events, by packet id order of `delivered`. */
  delivery_tx_hashes: Schema.Array(Schema.String),
  created_at: Schema.Number,
  updated_at: Schema.Number,
  failure_reason: Schema.NullOr(Schema.String),
  refund_tx_hash: Schema.NullOr(Schema.String)
})
export type ClearingRequest = typeof ClearingRequest.Type

/** A coin movement inside a payment transaction. */
export const Transfer = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  amount: Schema.BigInt,
  denom: Schema.String
})
export type Transfer = typeof Transfer.Type

/** A transaction as the paying chain reports it, reduced to what payment verification needs. */
export const PaymentTx = Schema.Struct({
  chain_id: Schema.String,
  tx_hash: Schema.String,
  /** 0 is success; anything else failed on chain. */
  code: Schema.Number,
  height: Schema.Number,
  time: Schema.NullOr(Schema.Number),
  memo: Schema.String,
  transfers: Schema.Array(Transfer)
})
export type PaymentTx = typeof PaymentTx.Type

export const CLEARING_RATE_LIMIT = { perHour: 10, windowMs: 3_600_000 } as const

/** What the clearing machine reports happened, for the service to publish. */
export type ClearingEvent =
  | { readonly _tag: "ClearingStatusChanged"; readonly token: string; readonly from: ClearingStatus; readonly to: ClearingStatus }
  | { readonly _tag: "PaymentAccepted"; readonly token: string; readonly tx_hash: string; readonly amount: bigint }
  | { readonly _tag: "RelayerReported"; readonly token: string; readonly tx_hashes: ReadonlyArray<string> }
  | { readonly _tag: "PacketDelivered"; readonly token: string; readonly packet_id: string; readonly tx_hash: string }

// ------------------------------------------------------------ bus messages

/** Pushed on `packet_update` whenever a packet's chain state changes. */
export const PacketUpdate = Schema.Struct({
  packet_id: Schema.String,
  chain_id: Schema.String,
  src_channel: Schema.String,
  sequence: Schema.Number,
  dst_chain_id: Schema.NullOr(Schema.String),
  status: PacketStatus,
  /** What just happened on chain. */
  event: Schema.Literal("sent", "received", "acknowledged", "timed_out"),
  sender: Schema.NullOr(Schema.String),
  receiver: Schema.NullOr(Schema.String),
  tx_hash: Schema.String,
  height: Schema.Number,
  timestamp: Schema.Number
})
export type PacketUpdate = typeof PacketUpdate.Type

/** Pushed on `clearing_status` on every clearing state change. */
export const ClearingStatusUpdate = Schema.Struct({
  token: Schema.String,
  user_id: Schema.String,
  wallet_address: Schema.NullOr(Schema.String),
  chain_id: Schema.String,
  status: ClearingStatus,
  packet_ids: Schema.Array(Schema.String),
  /** The payment, relayer or delivery tx most relevant to this change, when there is one. */
  tx_hash: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  timestamp: Schema.Number
})
export type ClearingStatusUpdate = typeof ClearingStatusUpdate.Type

/** Bus topics (structurally `Topic` from ports/event-bus.ts). */
export const PacketUpdateTopic = { name: "clearing.packet_update", schema: PacketUpdate } as const
export const ClearingStatusTopic = { name: "clearing.clearing_status", schema: ClearingStatusUpdate } as const

// ------------------------------------------------------- chainpulse metrics

/** Relay counters per (channel, signer, memo) from ibc_effected_packets / ibc_uneffected_packets. */
export const RelaySample = Schema.Struct({
  chain_id: Schema.String,
  src_port: Schema.String,
  src_channel: Schema.String,
  dst_port: Schema.String,
  dst_channel: Schema.String,
  signer: Schema.String,
  memo: Schema.String,
  count: Schema.Number
})
export type RelaySample = typeof RelaySample.Type

export const FrontrunSample = Schema.Struct({
  ...RelaySample.fields,
  frontrunned_by: Schema.String,
  effected_memo: Schema.String
})
export type FrontrunSample = typeof FrontrunSample.Type

/**
 * `ibc_stuck_packets` / `_detailed`. Chainpulse puts a channel id into its
 * `dst_chain` label; the adapter keeps the raw label and sorts it into
 * `dst_chain_id` or `dst_channel` by its shape.
 */
export const StuckSample = Schema.Struct({
  src_chain: Schema.String,
  src_channel: Schema.String,
  dst_label: Schema.String,
  dst_chain_id: Schema.NullOr(Schema.String),
  dst_channel: Schema.NullOr(Schema.String),
  has_user_data: Schema.NullOr(Schema.Boolean),
  count: Schema.Number
})
export type StuckSample = typeof StuckSample.Type

/** `ibc_packet_age_seconds{src_chain, channel, dst_chain}`; its channel pair may be reversed. */
export const PacketAgeSample = Schema.Struct({
  src_chain: Schema.String,
  channel: Schema.String,
  dst_label: Schema.String,
  age_seconds: Schema.Number
})
export type PacketAgeSample = typeof PacketAgeSample.Type

export const NearTimeoutSample = Schema.Struct({
  src_chain: Schema.String,
  dst_chain: Schema.String,
  src_channel: Schema.String,
  dst_channel: Schema.String,
  timeout_type: Schema.NullOr(Schema.String),
  count: Schema.Number
})
export type NearTimeoutSample = typeof NearTimeoutSample.Type

export const ChainCounters = Schema.Struct({
  chain_id: Schema.String,
  errors: Schema.NullOr(Schema.Number),
  packets: Schema.NullOr(Schema.Number),
  reconnects: Schema.NullOr(Schema.Number),
  txs: Schema.NullOr(Schema.Number)
})
export type ChainCounters = typeof ChainCounters.Type

export const ChainpulseSnapshot = Schema.Struct({
  scraped_at: Schema.Number,
  chains_monitored: Schema.NullOr(Schema.Number),
  chains: Schema.Array(ChainCounters),
  effected: Schema.Array(RelaySample),
  uneffected: Schema.Array(RelaySample),
  frontruns: Schema.Array(FrontrunSample),
  stuck: Schema.Array(StuckSample),
  stuck_detailed: Schema.Array(StuckSample),
  packet_ages: Schema.Array(PacketAgeSample),
  near_timeout: Schema.Array(NearTimeoutSample)
})
export type ChainpulseSnapshot = typeof ChainpulseSnapshot.Type

export const emptySnapshot = (at: number): ChainpulseSnapshot => ({
  scraped_at: at,
  chains_monitored: null,
  chains: [],
  effected: [],
  uneffected: [],
  frontruns: [],
  stuck: [],
  stuck_detailed: [],
  packet_ages: [],
  near_timeout: []
})
