import type {
  ChainpulseSnapshot,
  ChannelLink,
  FrontrunSample,
  Packet,
  PacketAgeSample,
  PacketStatus,
  PacketView,
  RelaySample,
  StuckSample,
  TimeoutType
} from "./model.js"
import { packetId } from "./model.js"

/*
 * Pure classification of packets at one instant, and the views derived from
 * Chainpulse metrics. A packet is in exactly one of pending / delivered /
 * expired; "stuck" and "expiring" are refinements of pending.
 */

/** What is known about the world when classifying: the clock and the chains' heights. */
export interface ClassifyContext {
  readonly now: number
  /** Latest seen block height per chain id. */
  readonly heights: ReadonlyMap<string, number>
  /** Counterparty chain per channel end, keyed by `linkKey`. */
  readonly links: ReadonlyMap<string, string>
}

export const linkKey = (chainId: string, portId: string, channelId: string): string => `${chainId}/${portId}/${channelId}`

export const linksMap = (links: ReadonlyArray<ChannelLink>): ReadonlyMap<string, string> =>
  new Map(links.map((l) => [linkKey(l.chain_id, l.port_id, l.channel_id), l.counterparty_chain_id]))

/**
 * IBC revision number of a chain id: the trailing `-N` (`osmosis-1` → 1),
 * 0 when the id has no such suffix.
 */
export const revisionNumber = (chainId: string): number => {
  const m = /[^-]-([1-9][0-9]*)$/.exec(chainId)
  return m === null ? 0 : Number(m[1])
}

const NS_PER_MS = 1_000_000n
const NS_PER_S = 1_000_000_000n

export const nowNs = (nowMs: number): bigint => BigInt(Math.floor(nowMs)) * NS_PER_MS

export const destinationOf = (p: Packet, links: ReadonlyMap<string, string>): string | null =>
  p.dst_chain_id ?? links.get(linkKey(p.chain_id, p.src_port, p.src_channel)) ?? null

/** ibc-go: a packet times out once the destination's height reaches the timeout height. */
export const heightPassed = (p: Packet, dstChain: string | null, dstHeight: number | undefined): boolean => {
  if (p.timeout_height === null || dstChain === null || dstHeight === undefined) return false
  const rev = revisionNumber(dstChain)
  return rev > p.timeout_height.revision_number ||
    (rev === p.timeout_height.revision_number && dstHeight >= p.timeout_height.revision_height)
}

export const timestampPassed = (p: Packet, now: number): boolean =>
  p.timeout_timestamp !== null && nowNs(now) >= p.timeout_timestamp

export const isDelivered = (p: Packet): boolean => p.received !== null || p.acknowledged !== null

export const classify = (p: Packet, ctx: ClassifyContext): PacketView => {
  const dst = destinationOf(p, ctx.links)
  const byTime = timestampPassed(p, ctx.now)
  const byHeight = heightPassed(p, dst, dst === null ? undefined : ctx.heights.get(dst))
  const status: PacketStatus = isDelivered(p)
    ? "delivered"
    : p.timed_out !== null || byTime || byHeight
    ? "expired"
    : "pending"
  const timeoutType: TimeoutType | null = status !== "expired"
    ? null
    : byTime
    ? "timestamp"
    : byHeight
    ? "height"
    : p.timeout_timestamp !== null && p.timeout_height === null
    ? "timestamp"
    : p.timeout_height !== null && p.timeout_timestamp === null
    ? "height"
    : null
  const ns = nowNs(ctx.now)
  return {
    packet: p,
    id: packetId(p),
    status,
    dst_chain_id: dst,
    age_seconds: Math.max(0, Math.floor((ctx.now - p.sent.time) / 1000)),
    expires_in_seconds: status === "pending" && p.timeout_timestamp !== null
      ? Number((p.timeout_timestamp - ns) / NS_PER_S)
      : null,
    timeout_type: timeoutType,
    seconds_since_timeout: status === "expired" && byTime && p.timeout_timestamp !== null
      ? Number((ns - p.timeout_timestamp) / NS_PER_S)
      : null
  }
}

/** Pending and older than `minAgeSeconds`. */
export const isStuck = (v: PacketView, minAgeSeconds: number): boolean =>
  v.status === "pending" && v.age_seconds >= minAgeSeconds

/** Pending with a timestamp timeout no further than `minutes` away. */
export const isExpiringWithin = (v: PacketView, minutes: number): boolean =>
  v.status === "pending" && v.expires_in_seconds !== null && v.expires_in_seconds <= minutes * 60

export interface DuplicateGroup {
  readonly data_hash: string
  readonly count: number
  readonly packets: ReadonlyArray<Packet>
}

/** Packets grouped by identical data hash; only groups of two or more, largest first. */
export const findDuplicates = (packets: ReadonlyArray<Packet>): ReadonlyArray<DuplicateGroup> => {
  const groups = new Map<string, Array<Packet>>()
  for (const p of packets) {
    const g = groups.get(p.data_hash)
    if (g === undefined) groups.set(p.data_hash, [p])
    else g.push(p)
  }
  return Array.from(groups, ([data_hash, ps]) => ({
    data_hash,
    count: ps.length,
    packets: [...ps].sort((a, b) => a.sent.time - b.sent.time || a.sequence - b.sequence)
  }))
    .filter((g) => g.count > 1)
    .sort((a, b) => b.count - a.count || (a.data_hash < b.data_hash ? -1 : 1))
}

const addAmount = (acc: Record<string, bigint>, denom: string, amount: bigint) => {
  acc[denom] = (acc[denom] ?? 0n) + amount
}

const stringAmounts = (acc: Record<string, bigint>): Record<string, string> =>
  Object.fromEntries(Object.entries(acc).sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, v]) => [d, v.toString()]))

export interface ChannelCongestion {
  readonly chain_id: string
  readonly src_channel: string
  readonly dst_channel: string
  readonly dst_chain_id: string | null
  readonly stuck_count: number
  readonly oldest_stuck_age_seconds: number
  /** Sum of ICS-20 amounts per denom, decimal strings. */
  readonly total_value: Readonly<Record<string, string>>
}

/** Stuck packets per channel, most congested first. */
export const channelCongestion = (
  views: ReadonlyArray<PacketView>,
  minAgeSeconds: number
): ReadonlyArray<ChannelCongestion> => {
  const byChannel = new Map<string, { views: Array<PacketView>; value: Record<string, bigint> }>()
  for (const v of views) {
    if (!isStuck(v, minAgeSeconds)) continue
    const key = `${v.packet.chain_id}/${v.packet.src_channel}/${v.packet.dst_channel}`
    const entry = byChannel.get(key) ?? { views: [], value: {} }
    entry.views.push(v)
    if (v.packet.data !== null) addAmount(entry.value, v.packet.data.denom, v.packet.data.amount)
    byChannel.set(key, entry)
  }
  return Array.from(byChannel.values(), ({ value, views: vs }) => {
    const first = vs[0]!
    return {
      chain_id: first.packet.chain_id,
      src_channel: first.packet.src_channel,
      dst_channel: first.packet.dst_channel,
      dst_chain_id: vs.find((v) => v.dst_chain_id !== null)?.dst_chain_id ?? null,
      stuck_count: vs.length,
      oldest_stuck_age_seconds: Math.max(...vs.map((v) => v.age_seconds)),
      total_value: stringAmounts(value)
    }
  }).sort((a, b) => b.stuck_count - a.stuck_count || b.oldest_stuck_age_seconds - a.oldest_stuck_age_seconds)
}

export interface PacketAnalytics {
  readonly chain_id: string | null
  readonly since: number
  readonly total_packets: number
  readonly delivered: number
  readonly pending: number
  readonly expired: number
  readonly timed_out_on_chain: number
  /** Percent of packets that are not pending which were delivered; null when none settled. */
  readonly delivery_rate: number | null
  /** Mean seconds from send to recv, over packets whose recv was seen. */
  readonly average_delivery_seconds: number | null
  /** Delivered ICS-20 value per denom. */
  readonly value_transferred: Readonly<Record<string, string>>
  readonly relay_attempts: number
}

export const analytics = (
  views: ReadonlyArray<PacketView>,
  opts: { readonly chain_id: string | null; readonly since: number }
): PacketAnalytics => {
  const selected = views.filter((v) =>
    v.packet.sent.time >= opts.since && (opts.chain_id === null || v.packet.chain_id === opts.chain_id)
  )
  const count = (s: PacketStatus) => selected.filter((v) => v.status === s).length
  const delivered = count("delivered")
  const expired = count("expired")
  const value: Record<string, bigint> = {}
  const latencies: Array<number> = []
  for (const v of selected) {
    if (v.status !== "delivered") continue
    if (v.packet.data !== null) addAmount(value, v.packet.data.denom, v.packet.data.amount)
    if (v.packet.received !== null) latencies.push((v.packet.received.time - v.packet.sent.time) / 1000)
  }
  return {
    chain_id: opts.chain_id,
    since: opts.since,
    total_packets: selected.length,
    delivered,
    pending: count("pending"),
    expired,
    timed_out_on_chain: selected.filter((v) => v.packet.timed_out !== null).length,
    delivery_rate: delivered + expired === 0 ? null : round1((delivered / (delivered + expired)) * 100),
    average_delivery_seconds: latencies.length === 0
      ? null
      : round1(latencies.reduce((a, b) => a + b, 0) / latencies.length),
    value_transferred: stringAmounts(value),
    relay_attempts: selected.reduce((a, v) => a + v.packet.relay_attempts, 0)
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10

// ------------------------------------------------------------------ metrics

export interface RelayerStats {
  readonly signer: string
  /** Memo the signer used most often (relayer software and operator name). */
  readonly memo: string
  readonly chains: ReadonlyArray<string>
  readonly effected: number
  readonly uneffected: number
  /** Times this signer's relay was beaten by another signer. */
  readonly frontrun: number
  /** Times this signer beat another signer. */
  readonly frontran_others: number
  /** effected / (effected + uneffected), percent; null with no relays. */
  readonly success_rate: number | null
}

/** Per-signer relay performance from Chainpulse's counters, most effective relayer first. */
export const relayerStats = (s: ChainpulseSnapshot): ReadonlyArray<RelayerStats> => {
  interface Acc {
    effected: number
    uneffected: number
    frontrun: number
    frontran: number
    chains: Set<string>
    memos: Map<string, number>
  }
  const bySigner = new Map<string, Acc>()
  const acc = (signer: string): Acc => {
    let a = bySigner.get(signer)
    if (a === undefined) {
      a = { effected: 0, uneffected: 0, frontrun: 0, frontran: 0, chains: new Set(), memos: new Map() }
      bySigner.set(signer, a)
    }
    return a
  }
  const note = (a: Acc, r: RelaySample) => {
    a.chains.add(r.chain_id)
    a.memos.set(r.memo, (a.memos.get(r.memo) ?? 0) + r.count)
  }
  for (const r of s.effected) {
    const a = acc(r.signer)
    a.effected += r.count
    note(a, r)
  }
  for (const r of s.uneffected) {
    const a = acc(r.signer)
    a.uneffected += r.count
    note(a, r)
  }
  for (const f of s.frontruns) {
    const a = acc(f.signer)
    a.frontrun += f.count
    note(a, f)
    acc(f.frontrunned_by).frontran += f.count
  }
  return Array.from(bySigner, ([signer, a]) => ({
    signer,
    memo: Array.from(a.memos).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? "",
    chains: Array.from(a.chains).sort(),
    effected: a.effected,
    uneffected: a.uneffected,
    frontrun: a.frontrun,
    frontran_others: a.frontran,
    success_rate: a.effected + a.uneffected === 0 ? null : round1((a.effected / (a.effected + a.uneffected)) * 100)
  })).sort((x, y) => y.effected - x.effected || (x.signer < y.signer ? -1 : 1))
}

export interface ChannelActivity {
  readonly chain_id: string
  readonly src_port: string
  readonly src_channel: string
  readonly dst_port: string
  readonly dst_channel: string
  readonly effected: number
  readonly uneffected: number
  readonly frontrun: number
  readonly success_rate: number | null
}

/** Relay counters summed per channel pair. */
export const channelActivity = (s: ChainpulseSnapshot): ReadonlyArray<ChannelActivity> => {
  const by = new Map<string, { base: RelaySample; effected: number; uneffected: number; frontrun: number }>()
  const entry = (r: RelaySample | FrontrunSample) => {
    const key = `${r.chain_id}/${r.src_port}/${r.src_channel}/${r.dst_port}/${r.dst_channel}`
    let e = by.get(key)
    if (e === undefined) {
      e = { base: r, effected: 0, uneffected: 0, frontrun: 0 }
      by.set(key, e)
    }
    return e
  }
  for (const r of s.effected) entry(r).effected += r.count
  for (const r of s.uneffected) entry(r).uneffected += r.count
  for (const r of s.frontruns) entry(r).frontrun += r.count
  return Array.from(by.values(), ({ base, effected, frontrun, uneffected }) => ({
    chain_id: base.chain_id,
    src_port: base.src_port,
    src_channel: base.src_channel,
    dst_port: base.dst_port,
    dst_channel: base.dst_channel,
    effected,
    uneffected,
    frontrun,
    success_rate: effected + uneffected === 0 ? null : round1((effected / (effected + uneffected)) * 100)
  })).sort((a, b) => b.effected + b.uneffected - (a.effected + a.uneffected) || (a.src_channel < b.src_channel ? -1 : 1))
}

export interface MetricsCongestion {
  readonly src_chain: string
  readonly src_channel: string
  readonly dst_channel: string | null
  readonly dst_chain_id: string | null
  readonly stuck_count: number
  /** From ibc_packet_age_seconds, when a sample matches this channel pair. */
  readonly oldest_age_seconds: number | null
}

/**
 * Stuck counts per channel from `ibc_stuck_packets`, joined with the age
 * gauge. The age gauge labels its pair `(channel, dst_chain)` and sometimes
 * in the reverse order, so an exact match is preferred and a reversed one
 * accepted.
 */
export const metricsCongestion = (s: ChainpulseSnapshot): ReadonlyArray<MetricsCongestion> => {
  const ageOf = (st: StuckSample): number | null => {
    const same = (a: PacketAgeSample) => a.src_chain === st.src_chain
    const exact = s.packet_ages.find((a) => same(a) && a.channel === st.src_channel && a.dst_label === st.dst_label)
    const reversed = exact ?? s.packet_ages.find((a) => same(a) && a.channel === st.dst_label && a.dst_label === st.src_channel)
    return reversed?.age_seconds ?? null
  }
  return s.stuck
    .filter((st) => st.count > 0)
    .map((st) => ({
      src_chain: st.src_chain,
      src_channel: st.src_channel,
      dst_channel: st.dst_channel,
      dst_chain_id: st.dst_chain_id,
      stuck_count: st.count,
      oldest_age_seconds: ageOf(st)
    }))
    .sort((a, b) => b.stuck_count - a.stuck_count || (a.src_channel < b.src_channel ? -1 : 1))
}

export const stuckTotal = (samples: ReadonlyArray<StuckSample>): number => samples.reduce((a, s) => a + s.count, 0)
