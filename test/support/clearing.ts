import { encodePacketEvent } from "../../core/clearing/events.js"
import type { ChainTx, ClearingRequest, ClearingStatusUpdate, Packet, PacketRoute, TxEvent } from "../../core/clearing/model.js"

/** Fixed instant the clearing tests are written against: 2025-07-13T00:00:00Z. */
export const T0 = Date.UTC(2025, 6, 13)

let counter = 0

export const transferData = (o: Partial<{ sender: string; receiver: string; amount: string; denom: string; memo: string }> = {}) =>
  JSON.stringify({
    amount: o.amount ?? "10832264",
    denom: o.denom ?? "transfer/channel-750/uusdc",
    receiver: o.receiver ?? "noble1ejmfwh88dxrehv345kj4743uznwpzkaz5tpv8z",
    sender: o.sender ?? "osmo1m8wg4vxkefhs374qxmmqpyusgz289wmulex5qdwpfx7jnrxzer5s9cv83q",
    memo: o.memo ?? ""
  })

export const route = (o: Partial<PacketRoute> = {}): PacketRoute => ({
  src_port: "transfer",
  src_channel: "channel-750",
  dst_port: "transfer",
  dst_channel: "channel-1",
  sequence: ++counter + 1000,
  ...o
})

export const sendEvent = (
  r: PacketRoute,
  o: { data?: string; timeout_height?: string; timeout_timestamp?: string } = {}
): TxEvent =>
  encodePacketEvent("send_packet", {
    ...r,
    data: o.data ?? transferData(),
    timeout_height: o.timeout_height ?? "0-0",
    timeout_timestamp: o.timeout_timestamp ?? "0"
  })

export const recvEvent = (r: PacketRoute): TxEvent => encodePacketEvent("recv_packet", { ...r, data: transferData() })
export const ackEvent = (r: PacketRoute): TxEvent => encodePacketEvent("acknowledge_packet", r)
export const timeoutEvent = (r: PacketRoute): TxEvent => encodePacketEvent("timeout_packet", r)

/** A tx on `chain` carrying the events, with a deterministic hash. */
export const tx = (chain: string, height: number, events: ReadonlyArray<TxEvent>, o: Partial<ChainTx> = {}): ChainTx => ({
  chain_id: chain,
  height,
  time: T0 + height * 6_000,
  hash: (o.hash ?? `${chain}-${height}-${++counter}`).toUpperCase(),
  code: 0,
  events,
  ...o
})

export const samplePacket = (o: Partial<Packet> = {}): Packet => {
  const r = route()
  return {
    chain_id: "osmosis-1",
    ...r,
    dst_chain_id: null,
    data: {
      sender: "osmo1sender",
      receiver: "noble1receiver",
      amount: 1000n,
      denom: "uosmo",
      memo: ""
    },
    data_hash: `hash-${r.sequence}`,
    timeout_height: null,
    timeout_timestamp: null,
    sent: { chain_id: "osmosis-1", height: 100, time: T0, tx_hash: `SEND${r.sequence}` },
    received: null,
    acknowledged: null,
    timed_out: null,
    relay_attempts: 0,
    seen_events: [`osmosis-1:SEND${r.sequence}:0`],
    ...o
  }
}

export const sampleRequest = (o: Partial<ClearingRequest> = {}): ClearingRequest => {
  counter++
  return {
    token: `clr_${counter.toString(16).padStart(32, "0")}`,
    user_id: "usr_1",
    wallet_address: null,
    chain_id: "osmosis-1",
    packets: [{ chain_id: "osmosis-1", src_channel: "channel-750", sequence: counter }],
    status: "requested",
    quote: null,
    payment: null,
    attempt: null,
    delivered: [],
    delivery_tx_hashes: [],
    created_at: T0 + counter,
    updated_at: T0 + counter,
    failure_reason: null,
    refund_tx_hash: null,
    ...o
  }
}

/** A clearing_status for `userId`'s clearing `token`, as the clearing core publishes it (also what bench row 8 fans out). */
export const sampleStatusUpdate = (userId: string, token: string): ClearingStatusUpdate => ({
  token,
  user_id: userId,
  wallet_address: null,
  chain_id: "osmosis-1",
  status: "awaiting_payment",
  packet_ids: ["osmosis-1/channel-750/1"],
  tx_hash: null,
  reason: null,
  timestamp: Date.now()
})
