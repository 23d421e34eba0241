import { Schema } from "effect"
import type { ChannelCongestion, DuplicateGroup, MetricsCongestion, PacketAnalytics } from "../../../core/clearing/classification.machine.js"
import {
  type ClearingRequest,
  type ClearingStatusUpdate,
  ClearingStatus,
  packetId,
  type PacketUpdate,
  PacketStatus,
  type PacketView,
  type Sighting,
  TimeoutType
} from "../../../core/clearing/model.js"
import type { MonitoringData } from "../../../core/clearing/packets.service.js"
import { toIso } from "../../../core/shared/time.js"

/*
 * Wire shapes of the clearing module. Field names are Chainpulse's and
 * Relayooor's; every value comes from chain events, Chainpulse or the
 * clearing store, and a value no source gave is null (or left out), never
 * made up. Nanosecond timestamps and token amounts are decimal strings:
 * they do not fit a JSON number.
 */

export const API_VERSION = "1.0" as const

const Iso = Schema.String.annotations({ description: "ISO-8601" })

export const TxRef = Schema.Struct({ chain_id: Schema.String, height: Schema.Number, time: Iso, tx_hash: Schema.String })

export const PacketJson = Schema.Struct({
  id: Schema.String.annotations({ description: "<chain_id>-<channel>-<sequence>" }),
  chain_id: Schema.String,
  sequence: Schema.Number,
  src_port: Schema.String,
  src_channel: Schema.String,
  dst_port: Schema.String,
  dst_channel: Schema.String,
  dst_chain_id: Schema.NullOr(Schema.String),
  status: PacketStatus,
  sender: Schema.NullOr(Schema.String),
  receiver: Schema.NullOr(Schema.String),
  amount: Schema.NullOr(Schema.String),
  denom: Schema.NullOr(Schema.String),
  memo: Schema.NullOr(Schema.String),
  data_hash: Schema.String,
  age_seconds: Schema.Number,
  relay_attempts: Schema.Number,
  timeout_height: Schema.NullOr(Schema.String).annotations({ description: "revision-height, e.g. 1-19800000" }),
  timeout_timestamp: Schema.NullOr(Schema.String).annotations({ description: "nanoseconds since the epoch, decimal" }),
  expires_in_seconds: Schema.NullOr(Schema.Number),
  seconds_since_timeout: Schema.NullOr(Schema.Number),
  timeout_type: Schema.NullOr(TimeoutType),
  sent: TxRef,
  received: Schema.NullOr(TxRef),
  acknowledged: Schema.NullOr(TxRef),
  timed_out: Schema.NullOr(TxRef),
  ibc_version: Schema.Literal("v1")
})

const txRef = (s: Sighting | null): typeof TxRef.Type | null =>
  s === null ? null : { chain_id: s.chain_id, height: s.height, time: toIso(s.time), tx_hash: s.tx_hash }

export const packetJson = (v: PacketView): typeof PacketJson.Type => {
  const p = v.packet
  return {
    id: v.id,
    chain_id: p.chain_id,
    sequence: p.sequence,
    src_port: p.src_port,
    src_channel: p.src_channel,
    dst_port: p.dst_port,
    dst_channel: p.dst_channel,
    dst_chain_id: v.dst_chain_id,
    status: v.status,
    sender: p.data?.sender ?? null,
    receiver: p.data?.receiver ?? null,
    amount: p.data?.amount.toString() ?? null,
    denom: p.data?.denom ?? null,
    memo: p.data?.memo ?? null,
    data_hash: p.data_hash,
    age_seconds: v.age_seconds,
    relay_attempts: p.relay_attempts,
    timeout_height: p.timeout_height === null ? null : `${p.timeout_height.revision_number}-${p.timeout_height.revision_height}`,
    timeout_timestamp: p.timeout_timestamp?.toString() ?? null,
    expires_in_seconds: v.expires_in_seconds,
    seconds_since_timeout: v.seconds_since_timeout,
    timeout_type: v.timeout_type,
    sent: txRef(p.sent)!,
    received: txRef(p.received),
    acknowledged: txRef(p.acknowledged),
    timed_out: txRef(p.timed_out),
    ibc_version: "v1"
  }
}

export const PacketList = Schema.Struct({ packets: Schema.Array(PacketJson), total: Schema.Number, api_version: Schema.Literal(API_VERSION) })

export const ExpiredPacketJson = Schema.Struct({
  id: Schema.String,
  chain_id: Schema.String,
  sequence: Schema.Number,
  src_channel: Schema.String,
  dst_channel: Schema.String,
  sender: Schema.NullOr(Schema.String),
  receiver: Schema.NullOr(Schema.String),
  amount: Schema.NullOr(Schema.String),
  denom: Schema.NullOr(Schema.String),
  seconds_since_timeout: Schema.NullOr(Schema.Number),
  timeout_type: Schema.NullOr(TimeoutType)
})

export const expiredJson = (v: PacketView): typeof ExpiredPacketJson.Type => {
  const j = packetJson(v)
  return {
    id: j.id,
    chain_id: j.chain_id,
    sequence: j.sequence,
    src_channel: j.src_channel,
    dst_channel: j.dst_channel,
    sender: j.sender,
    receiver: j.receiver,
    amount: j.amount,
    denom: j.denom,
    seconds_since_timeout: j.seconds_since_timeout,
    timeout_type: j.timeout_type
  }
}

export const DuplicatesJson = Schema.Struct({
  duplicates: Schema.Array(Schema.Struct({
    data_hash: Schema.String,
    count: Schema.Number,
    packets: Schema.Array(Schema.Struct({
      chain_id: Schema.String,
      sequence: Schema.Number,
      src_channel: Schema.String,
      sender: Schema.NullOr(Schema.String),
      created_at: Schema.String.annotations({ description: "send block time, `YYYY-MM-DD HH:MM:SS` UTC" })
    }))
  })),
  api_version: Schema.Literal(API_VERSION)
})

const sqlTime = (ms: number) => toIso(ms).slice(0, 19).replace("T", " ")

export const duplicatesJson = (groups: ReadonlyArray<DuplicateGroup>): typeof DuplicatesJson.Type => ({
  duplicates: groups.map((g) => ({
    data_hash: g.data_hash,
    count: g.count,
    packets: g.packets.map((p) => ({
      chain_id: p.chain_id,
      sequence: p.sequence,
      src_channel: p.src_channel,
      sender: p.data?.sender ?? null,
      created_at: sqlTime(p.sent.time)
    }))
  })),
  api_version: API_VERSION
})

export const CongestionJson = Schema.Struct({
  channels: Schema.Array(Schema.Struct({
    src_channel: Schema.String,
    dst_channel: Schema.String,
    chain_id: Schema.String,
    dst_chain_id: Schema.NullOr(Schema.String),
    stuck_count: Schema.Number,
    oldest_stuck_age_seconds: Schema.Number,
    total_value: Schema.Record({ key: Schema.String, value: Schema.String })
  })),
  api_version: Schema.Literal(API_VERSION)
})

export const congestionJson = (cs: ReadonlyArray<ChannelCongestion>): typeof CongestionJson.Type => ({
  channels: cs.map((c) => ({ ...c })),
  api_version: API_VERSION
})

export const AnalyticsJson = Schema.Struct({
  chain_id: Schema.NullOr(Schema.String),
  period: Schema.String,
  since: Iso,
  total_packets: Schema.Number,
  delivered: Schema.Number,
  pending: Schema.Number,
  expired: Schema.Number,
  timed_out_on_chain: Schema.Number,
  delivery_rate: Schema.NullOr(Schema.Number),
  average_delivery_seconds: Schema.NullOr(Schema.Number),
  value_transferred: Schema.Record({ key: Schema.String, value: Schema.String }),
  relay_attempts: Schema.Number,
  api_version: Schema.Literal(API_VERSION)
})

export const analyticsJson = (a: PacketAnalytics, period: string): typeof AnalyticsJson.Type => ({
  ...a,
  since: toIso(a.since),
  period,
  api_version: API_VERSION
})

// -------------------------------------------------------------- facade

export const MonitoringJson = Schema.Struct({
  chains: Schema.Array(Schema.Struct({
    chain_id: Schema.String,
    errors: Schema.NullOr(Schema.Number),
    packets_total: Schema.NullOr(Schema.Number).annotations({ description: "chainpulse_packets: packets seen since Chainpulse started" }),
    txs_total: Schema.NullOr(Schema.Number),
    reconnects: Schema.NullOr(Schema.Number)
  })),
  channels: Schema.Array(Schema.Struct({
    src: Schema.String,
    src_port: Schema.String,
    src_channel: Schema.String,
    dst_port: Schema.String,
    dst_channel: Schema.String,
    effected: Schema.Number,
    uneffected: Schema.Number,
    frontrun: Schema.Number,
    total_packets: Schema.Number,
    success_rate: Schema.NullOr(Schema.Number),
    packets_pending: Schema.NullOr(Schema.Number)
  })),
  top_relayers: Schema.Array(Schema.Struct({
    address: Schema.String,
    memo: Schema.String,
    chains: Schema.Array(Schema.String),
    packets_relayed: Schema.Number,
    uneffected: Schema.Number,
    frontrun: Schema.Number,
    success_rate: Schema.NullOr(Schema.Number)
  })),
  stuck_total: Schema.Number,
  chains_monitored: Schema.NullOr(Schema.Number),
  alerts: Schema.Array(Schema.Unknown),
  timestamp: Iso
})

export const monitoringJson = (m: MonitoringData): typeof MonitoringJson.Type => {
  const stuckBy = new Map<string, number>()
  for (const s of m.snapshot.stuck) stuckBy.set(`${s.src_chain}/${s.src_channel}`, (stuckBy.get(`${s.src_chain}/${s.src_channel}`) ?? 0) + s.count)
  return {
    chains: m.snapshot.chains.map((c) => ({ chain_id: c.chain_id, errors: c.errors, packets_total: c.packets, txs_total: c.txs, reconnects: c.reconnects })),
    channels: m.channels.map((c) => ({
      src: c.chain_id,
      src_port: c.src_port,
      src_channel: c.src_channel,
      dst_port: c.dst_port,
      dst_channel: c.dst_channel,
      effected: c.effected,
      uneffected: c.uneffected,
      frontrun: c.frontrun,
      total_packets: c.effected + c.uneffected,
      success_rate: c.success_rate,
      packets_pending: stuckBy.get(`${c.chain_id}/${c.src_channel}`) ?? null
    })),
    top_relayers: m.relayers.slice(0, 20).map((r) => ({
      address: r.signer,
      memo: r.memo,
      chains: r.chains,
      packets_relayed: r.effected,
      uneffected: r.uneffected,
      frontrun: r.frontrun,
      success_rate: r.success_rate
    })),
    stuck_total: m.snapshot.stuck.reduce((a, s) => a + s.count, 0),
    chains_monitored: m.snapshot.chains_monitored,
    alerts: [],
    timestamp: toIso(m.snapshot.scraped_at)
  }
}

const duration = (seconds: number): string =>
  seconds >= 86_400 ? `${Math.floor(seconds / 86_400)}d` : seconds >= 3_600 ? `${Math.floor(seconds / 3_600)}h` : `${Math.floor(seconds / 60)}m`

export const FacadeStuckJson = Schema.Array(Schema.Struct({
  id: Schema.String,
  channelId: Schema.String,
  sequence: Schema.Number,
  sourceChain: Schema.String,
  destinationChain: Schema.NullOr(Schema.String).annotations({ description: "a chain id, or null while unknown (never a channel id)" }),
  stuckDuration: Schema.String,
  amount: Schema.NullOr(Schema.String),
  denom: Schema.NullOr(Schema.String),
  sender: Schema.NullOr(Schema.String),
  receiver: Schema.NullOr(Schema.String),
  timestamp: Iso,
  txHash: Schema.String,
  relayAttempts: Schema.Number
}))

export const facadeStuckJson = (vs: ReadonlyArray<PacketView>): typeof FacadeStuckJson.Type =>
  vs.map((v) => ({
    id: `${v.packet.chain_id}-${v.packet.sequence}`,
    channelId: v.packet.src_channel,
    sequence: v.packet.sequence,
    sourceChain: v.packet.chain_id,
    destinationChain: v.dst_chain_id,
    stuckDuration: duration(v.age_seconds),
    amount: v.packet.data?.amount.toString() ?? null,
    denom: v.packet.data?.denom ?? null,
    sender: v.packet.data?.sender ?? null,
    receiver: v.packet.data?.receiver ?? null,
    timestamp: toIso(v.packet.sent.time),
    txHash: v.packet.sent.tx_hash,
    relayAttempts: v.packet.relay_attempts
  }))

export const FacadePacketJson = Schema.Struct({
  packet: PacketJson,
  clearing_eligible: Schema.Boolean,
  clearing_requirements: Schema.Struct({
    needs_payment: Schema.Boolean,
    fee: Schema.NullOr(Schema.Struct({ amount: Schema.String, denom: Schema.String })),
    payment_address: Schema.NullOr(Schema.String),
    reason: Schema.NullOr(Schema.String)
  })
})

export const FacadeCongestionJson = Schema.Struct({
  channels: Schema.Array(Schema.Struct({
    src_chain: Schema.String,
    dst_chain: Schema.NullOr(Schema.String).annotations({ description: "a chain id when Chainpulse gave one; its dst_chain label often holds a channel id" }),
    channel_id: Schema.String,
    dst_channel: Schema.NullOr(Schema.String),
    pending_packets: Schema.Number,
    oldest_packet_age_seconds: Schema.NullOr(Schema.Number),
    congestion_level: Schema.Literal("low", "medium", "high")
  }))
})

export const facadeCongestionJson = (cs: ReadonlyArray<MetricsCongestion>): typeof FacadeCongestionJson.Type => ({
  channels: cs.map((c) => ({
    src_chain: c.src_chain,
    dst_chain: c.dst_chain_id,
    channel_id: c.src_channel,
    dst_channel: c.dst_channel,
    pending_packets: c.stuck_count,
    oldest_packet_age_seconds: c.oldest_age_seconds,
    congestion_level: c.stuck_count >= 100 ? "high" : c.stuck_count >= 10 ? "medium" : "low"
  }))
})

// ------------------------------------------------------------ clearing

export const ClearingJson = Schema.Struct({
  token: Schema.String,
  status: ClearingStatus,
  chain_id: Schema.String,
  packets: Schema.Array(Schema.String),
  wallet_address: Schema.NullOr(Schema.String),
  fees: Schema.NullOr(Schema.Struct({ service: Schema.String, per_packet: Schema.String, total: Schema.String, denom: Schema.String })),
  payment_address: Schema.NullOr(Schema.String),
  memo: Schema.NullOr(Schema.String).annotations({ description: "put this in the payment's memo" }),
  expires_at: Schema.NullOr(Iso),
  payment: Schema.Struct({
    received: Schema.Boolean,
    tx_hash: Schema.NullOr(Schema.String),
    amount: Schema.NullOr(Schema.String),
    denom: Schema.NullOr(Schema.String)
  }),
  execution: Schema.NullOr(Schema.Struct({
    executor: Schema.String,
    scope: Schema.NullOr(Schema.String),
    started_at: Iso,
    deadline_at: Iso,
    relayer_tx_hashes: Schema.Array(Schema.String),
    packets_cleared: Schema.Number,
    delivered: Schema.Array(Schema.String),
    delivery_tx_hashes: Schema.Array(Schema.String)
  })),
  failure_reason: Schema.NullOr(Schema.String),
  refund_tx_hash: Schema.NullOr(Schema.String),
  created_at: Iso,
  updated_at: Iso
})

export const clearingJson = (r: ClearingRequest): typeof ClearingJson.Type => ({
  token: r.token,
  status: r.status,
  chain_id: r.chain_id,
  packets: r.packets.map(packetId),
  wallet_address: r.wallet_address,
  fees: r.quote === null
    ? null
    : { service: r.quote.amount.toString(), per_packet: r.quote.per_packet.toString(), total: r.quote.amount.toString(), denom: r.quote.denom },
  payment_address: r.quote?.pay_to ?? null,
  memo: r.quote?.memo ?? null,
  expires_at: r.quote === null ? null : toIso(r.quote.expires_at),
  payment: {
    received: r.payment !== null,
    tx_hash: r.payment?.tx_hash ?? null,
    amount: r.payment?.amount.toString() ?? null,
    denom: r.payment?.denom ?? null
  },
  execution: r.attempt === null
    ? null
    : {
      executor: r.attempt.executor,
      scope: r.attempt.scope,
      started_at: toIso(r.attempt.started_at),
      deadline_at: toIso(r.attempt.deadline_at),
      relayer_tx_hashes: r.attempt.relayer_tx_hashes,
      packets_cleared: r.delivered.length,
      delivered: r.delivered,
      delivery_tx_hashes: r.delivery_tx_hashes
    },
  failure_reason: r.failure_reason,
  refund_tx_hash: r.refund_tx_hash,
  created_at: toIso(r.created_at),
  updated_at: toIso(r.updated_at)
})

// ------------------------------------------------------------ websocket

/** `packet_update` as the spec's WebSocket pushes it. */
export const packetUpdateMessage = (u: PacketUpdate) => ({
  type: "packet_update" as const,
  data: {
    packet_id: u.packet_id,
    chain_id: u.chain_id,
    dst_chain_id: u.dst_chain_id,
    status: u.status,
    event: u.event,
    sender: u.sender,
    receiver: u.receiver,
    tx_hash: u.tx_hash,
    height: u.height,
    timestamp: toIso(u.timestamp)
  }
})

/** `clearing_status` as the spec's WebSocket pushes it. */
export const clearingStatusMessage = (u: ClearingStatusUpdate) => ({
  type: "clearing_status" as const,
  data: {
    token_id: u.token,
    status: u.status,
    packet_id: u.packet_ids[0] ?? null,
    packet_ids: u.packet_ids,
    tx_hash: u.tx_hash,
    reason: u.reason,
    timestamp: toIso(u.timestamp)
  }
})
