import { sha256Bytes } from "../shared/hash.js"
import { hexToBytes, isHex } from "../shared/hex.js"
import { linkKey } from "./classification.machine.js"
import type {
  ChainTx,
  ChannelLink,
  Height,
  Ics20Data,
  Packet,
  PacketEvent,
  PacketRoute,
  PacketSlice,
  Sighting,
  SliceWrite,
  TxEvent
} from "./model.js"

/*
 * Pure translation of ABCI events into packet state. Every function here is
 * idempotent on event ids, so a tx seen live and again in a backfill, or
 * applied twice after a crash, changes nothing the second time.
 */

export const PACKET_EVENT_TYPES = ["send_packet", "recv_packet", "acknowledge_packet", "timeout_packet"] as const

export type PacketChangeKind = "sent" | "received" | "acknowledged" | "timed_out"

/** One packet whose state an event changed. */
export interface PacketChange {
  readonly packet: Packet
  readonly kind: PacketChangeKind
  readonly at: Sighting
}

export interface ParsedTx {
  readonly events: ReadonlyArray<PacketEvent>
  /** Packet events that could not be read, for logging. */
  readonly problems: ReadonlyArray<string>
}

const attr = (e: TxEvent, key: string): string | undefined => e.attributes.find((a) => a.key === key)?.value

/** `1-19800000` → height; `0-0` (no height timeout) → null. */
export const parseTimeoutHeight = (s: string): Height | null | undefined => {
  const m = /^(\d+)-(\d+)$/.exec(s)
  if (m === null) return undefined
  const h = { revision_number: Number(m[1]), revision_height: Number(m[2]) }
  if (!Number.isSafeInteger(h.revision_number) || !Number.isSafeInteger(h.revision_height)) return undefined
  return h.revision_number === 0 && h.revision_height === 0 ? null : h
}

/** Nanoseconds as a decimal string; `0` means "no timestamp timeout". */
export const parseTimeoutTimestamp = (s: string): bigint | null | undefined => {
  if (!/^\d+$/.test(s)) return undefined
  const ns = BigInt(s)
  return ns === 0n ? null : ns
}

const decoder = new TextDecoder("utf-8", { fatal: false })

/** ICS-20 packet data, or null when the bytes are not a well-formed transfer. */
export const parseIcs20 = (json: string): Ics20Data | null => {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch {
    return null
  }
  if (typeof v !== "object" || v === null) return null
  const o = v as Record<string, unknown>
  const amount = typeof o["amount"] === "string" || typeof o["amount"] === "number" ? String(o["amount"]) : undefined
  if (
    amount === undefined || !/^\d+$/.test(amount) ||
    typeof o["denom"] !== "string" || typeof o["sender"] !== "string" || typeof o["receiver"] !== "string"
  ) return null
  return {
    sender: o["sender"],
    receiver: o["receiver"],
    amount: BigInt(amount),
    denom: o["denom"],
    memo: typeof o["memo"] === "string" ? o["memo"] : ""
  }
}

const TAGS = {
  send_packet: "PacketSent",
  recv_packet: "PacketReceived",
  acknowledge_packet: "PacketAcknowledged",
  timeout_packet: "PacketTimedOut"
} as const

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0))

/**
 * Lower-case hex in one flat string. Stored packets keep their data hash for
 * life; a hex string built by appending pairs (as `bytesToHex` does) stays in
 * V8 as a chain of ~32 cons strings, about 1 KB per packet instead of 80 bytes.
 */
const flatHex = (bytes: Uint8Array): string => {
  const codes = new Array<number>(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    codes[2 * i] = HEX_CODES[bytes[i]! >> 4]!
    codes[2 * i + 1] = HEX_CODES[bytes[i]! & 15]!
  }
  return String.fromCharCode(...codes)
}

const whereOf = (tx: ChainTx, index: number, type: string) => `${tx.chain_id} tx ${tx.hash} event ${index} (${type})`

/** The packet events of one committed transaction, in their order inside the tx. */
export const parseTx = (tx: ChainTx): ParsedTx => {
  // Events of a failed tx were reverted on chain; CometBFT should not even report them.
  if (tx.code !== 0) return { events: [], problems: [] }
  const events: Array<PacketEvent> = []
  const problems: Array<string> = []
  for (let index = 0; index < tx.events.length; index++) {
    const e = tx.events[index]!
    if (!(e.type in TAGS)) continue
    const tag = TAGS[e.type as keyof typeof TAGS]
    const sequence = Number(attr(e, "packet_sequence"))
    const src_port = attr(e, "packet_src_port") ?? ""
    const src_channel = attr(e, "packet_src_channel") ?? ""
    const dst_port = attr(e, "packet_dst_port") ?? ""
    const dst_channel = attr(e, "packet_dst_channel") ?? ""
    if (
      !Number.isSafeInteger(sequence) || sequence < 1 ||
      src_port === "" || src_channel === "" || dst_port === "" || dst_channel === ""
    ) {
      problems.push(`${whereOf(tx, index, e.type)}: missing or malformed packet route`)
      continue
    }
    // Joined rather than a template literal: the id is stored with the packet,
    // and a template result is a cons-string tree V8 keeps until it is read.
    const event_id = [tx.chain_id, tx.hash, index].join(":")
    const at: Sighting = { chain_id: tx.chain_id, height: tx.height, time: tx.time, tx_hash: tx.hash }
    if (tag !== "PacketSent") {
      events.push({ _tag: tag, event_id, src_port, src_channel, dst_port, dst_channel, sequence, at })
      continue
    }
    const hex = attr(e, "packet_data_hex")
    const raw = attr(e, "packet_data")
    const bytes = hex !== undefined && isHex(hex) ? hexToBytes(hex) : raw !== undefined ? raw : undefined
    const timeoutHeight = parseTimeoutHeight(attr(e, "packet_timeout_height") ?? "0-0")
    const timeoutTimestamp = parseTimeoutTimestamp(attr(e, "packet_timeout_timestamp") ?? "0")
    if (bytes === undefined || timeoutHeight === undefined || timeoutTimestamp === undefined) {
      problems.push(`${whereOf(tx, index, e.type)}: missing packet data or malformed timeout`)
      continue
    }
    events.push({
      _tag: "PacketSent",
      event_id,
      src_port,
      src_channel,
      dst_port,
      dst_channel,
      sequence,
      at,
      data: parseIcs20(typeof bytes === "string" ? bytes : decoder.decode(bytes)),
      data_hash: flatHex(sha256Bytes(bytes)),
      timeout_height: timeoutHeight,
      timeout_timestamp: timeoutTimestamp
    })
  }
  return { events, problems }
}

type RelayEvent = Exclude<PacketEvent, { readonly _tag: "PacketSent" }>

const kindOf = (ev: RelayEvent): PacketChangeKind =>
  ev._tag === "PacketReceived" ? "received" : ev._tag === "PacketAcknowledged" ? "acknowledged" : "timed_out"

/**
 * Whether a relay event can belong to this packet. Ack and timeout happen on
 * the source chain; recv happens on the destination, which must be another
 * chain and not contradict what is known about the channel.
 */
const accepts = (p: Packet, ev: RelayEvent, links: ReadonlyMap<string, string>): boolean => {
  if (ev._tag !== "PacketReceived") return ev.at.chain_id === p.chain_id
  if (ev.at.chain_id === p.chain_id) return false
  const known = p.dst_chain_id ?? links.get(linkKey(p.chain_id, p.src_port, p.src_channel))
  return known === undefined || known === ev.at.chain_id
}

const applyRelay = (p: Packet, ev: RelayEvent): Packet => ({
  ...p,
  seen_events: [...p.seen_events, ev.event_id],
  relay_attempts: p.relay_attempts + 1,
  received: ev._tag === "PacketReceived" ? p.received ?? ev.at : p.received,
  acknowledged: ev._tag === "PacketAcknowledged" ? p.acknowledged ?? ev.at : p.acknowledged,
  timed_out: ev._tag === "PacketTimedOut" ? p.timed_out ?? ev.at : p.timed_out,
  dst_chain_id: ev._tag === "PacketReceived" ? p.dst_chain_id ?? ev.at.chain_id : p.dst_chain_id
})

export interface EventOutcome {
  readonly write: SliceWrite
  readonly changes: ReadonlyArray<PacketChange>
}

/** A slice being decided on; the helpers below are module functions so that no closure is built per event. */
interface Work {
  readonly links: Map<string, string>
  readonly packets: Map<string, Packet>
  readonly touched: Set<string>
  readonly newLinks: Array<ChannelLink>
  readonly changes: Array<PacketChange>
}

const relay = (w: Work, p: Packet, r: RelayEvent) => {
  const next = applyRelay(p, r)
  w.packets.set(next.chain_id, next)
  w.touched.add(next.chain_id)
  w.changes.push({ packet: next, kind: kindOf(r), at: r.at })
  const key = linkKey(next.chain_id, next.src_port, next.src_channel)
  if (r._tag === "PacketReceived" && !w.links.has(key)) {
    const link = { chain_id: next.chain_id, port_id: next.src_port, channel_id: next.src_channel, counterparty_chain_id: r.at.chain_id }
    w.links.set(key, r.at.chain_id)
    w.newLinks.push(link)
  }
}

/** The one packet this relay event belongs to, if exactly one qualifies. */
const target = (w: Work, r: RelayEvent): Packet | undefined => {
  let found: Packet | undefined
  for (const p of w.packets.values()) {
    if (!accepts(p, r, w.links)) continue
    if (found !== undefined) return undefined
    found = p
  }
  return found
}

const seen = (w: Work, slice: PacketSlice, ev: PacketEvent): boolean => {
  for (const p of w.packets.values()) if (p.seen_events.includes(ev.event_id)) return true
  return slice.parked.some((x) => x.event_id === ev.event_id)
}

/**
 * Applies one packet event to the slice of its route. A relay event whose
 * packet is not known yet (or not unambiguously) is parked and applied when
 * its send_packet arrives.
 */
export const applyEvent = (slice: PacketSlice, ev: PacketEvent): EventOutcome => {
  const w: Work = {
    links: new Map(slice.links.map((l) => [linkKey(l.chain_id, l.port_id, l.channel_id), l.counterparty_chain_id])),
    packets: new Map(slice.packets.map((p) => [p.chain_id, p])),
    touched: new Set(),
    newLinks: [],
    changes: []
  }

  let parked: ReadonlyArray<PacketEvent> = slice.parked
  if (seen(w, slice, ev)) return { write: { put: [], parked, links: [] }, changes: [] }

  if (ev._tag === "PacketSent") {
    const existing = w.packets.get(ev.at.chain_id)
    const p: Packet = existing === undefined
      ? {
        chain_id: ev.at.chain_id,
        src_port: ev.src_port,
        src_channel: ev.src_channel,
        dst_port: ev.dst_port,
        dst_channel: ev.dst_channel,
        sequence: ev.sequence,
        dst_chain_id: w.links.get(linkKey(ev.at.chain_id, ev.src_port, ev.src_channel)) ?? null,
        data: ev.data,
        data_hash: ev.data_hash,
        timeout_height: ev.timeout_height,
        timeout_timestamp: ev.timeout_timestamp,
        sent: ev.at,
        received: null,
        acknowledged: null,
        timed_out: null,
        relay_attempts: 0,
        seen_events: [ev.event_id]
      }
      : { ...existing, seen_events: [...existing.seen_events, ev.event_id] }
    w.packets.set(p.chain_id, p)
    w.touched.add(p.chain_id)
    if (existing === undefined) w.changes.push({ packet: p, kind: "sent", at: ev.at })
    if (parked.length > 0) {
      const still: Array<PacketEvent> = []
      for (const r of parked) {
        const t = r._tag === "PacketSent" ? undefined : target(w, r)
        if (r._tag !== "PacketSent" && t !== undefined) relay(w, t, r)
        else still.push(r)
      }
      parked = still
    }
  } else {
    const t = target(w, ev)
    if (t === undefined) parked = [...parked, ev]
    else relay(w, t, ev)
  }

  return {
    write: { put: Array.from(w.touched, (c) => w.packets.get(c)!), parked, links: w.newLinks },
    changes: w.changes
  }
}

/** The route fields of an event or packet: what it is stored under. */
export const routeOf = (r: PacketRoute): PacketRoute => ({
  src_port: r.src_port,
  src_channel: r.src_channel,
  dst_port: r.dst_port,
  dst_channel: r.dst_channel,
  sequence: r.sequence
})

/** The attribute strings a packet's events carry for its timeouts and data. */
export const eventFieldsOf = (p: Packet) => ({
  ...routeOf(p),
  data: p.data === null ? undefined : JSON.stringify({ ...p.data, amount: p.data.amount.toString() }),
  timeout_height: p.timeout_height === null ? "0-0" : `${p.timeout_height.revision_number}-${p.timeout_height.revision_height}`,
  timeout_timestamp: p.timeout_timestamp === null ? "0" : p.timeout_timestamp.toString()
})

/**
 * The ABCI event a chain emits for a packet, as ibc-go writes it. Used by the
 * simulated chains and relayer, and by tests that fake a chain.
 */
export const encodePacketEvent = (
  type: (typeof PACKET_EVENT_TYPES)[number],
  p: PacketRoute & {
    readonly data?: string | undefined
    readonly timeout_height?: string | undefined
    readonly timeout_timestamp?: string | undefined
  }
): TxEvent => ({
  type,
  attributes: [
    ...(type === "send_packet" || type === "recv_packet" ? [{ key: "packet_data", value: p.data ?? "" }] : []),
    { key: "packet_timeout_height", value: p.timeout_height ?? "0-0" },
    { key: "packet_timeout_timestamp", value: p.timeout_timestamp ?? "0" },
    { key: "packet_sequence", value: String(p.sequence) },
    { key: "packet_src_port", value: p.src_port },
    { key: "packet_src_channel", value: p.src_channel },
    { key: "packet_dst_port", value: p.dst_port },
    { key: "packet_dst_channel", value: p.dst_channel },
    { key: "packet_channel_ordering", value: "ORDER_UNORDERED" }
  ]
})
