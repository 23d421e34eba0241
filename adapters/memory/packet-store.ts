import { Effect, Layer, Option } from "effect"
import { leafSpan } from "../../core/shared/leaf-span.js"
import {
  type ChainHead,
  type ChannelLink,
  type Packet,
  type PacketEvent,
  type PacketKey,
  type PacketRoute,
  type PacketSlice,
  routeKey,
  type SliceWrite
} from "../../core/clearing/model.js"
import { type PacketQuery, PacketStore } from "../../ports/packet-store.js"

const linkKeyOf = (l: { readonly chain_id: string; readonly port_id: string; readonly channel_id: string }) =>
  `${l.chain_id}/${l.port_id}/${l.channel_id}`

const matches = (q: PacketQuery) => (p: Packet): boolean => {
  if (q.chain_id !== undefined && p.chain_id !== q.chain_id) return false
  if (q.src_channel !== undefined && p.src_channel !== q.src_channel) return false
  if (q.data_hash !== undefined && p.data_hash !== q.data_hash) return false
  if (q.sent_after !== undefined && p.sent.time < q.sent_after) return false
  if (q.sent_before !== undefined && p.sent.time > q.sent_before) return false
  if (q.undelivered !== undefined && q.undelivered === (p.received !== null || p.acknowledged !== null)) return false
  if (q.address !== undefined) {
    if (p.data === null) return false
    const role = q.role ?? "any"
    const asSender = role !== "receiver" && p.data.sender === q.address
    const asReceiver = role !== "sender" && p.data.receiver === q.address
    if (!asSender && !asReceiver) return false
  }
  return true
}

const newestFirst = (a: Packet, b: Packet) =>
  b.sent.time - a.sent.time || b.sent.height - a.sent.height || (a.chain_id < b.chain_id ? -1 : a.chain_id > b.chain_id ? 1 : 0) ||
  (a.src_channel < b.src_channel ? -1 : a.src_channel > b.src_channel ? 1 : 0) || b.sequence - a.sequence


/**
 * In-process packet store. Every operation is one synchronous block over
 * plain maps, which the event loop never interleaves: `observe`'s read,
 * decision and write are atomic without a lock.
 *
 * Packets are kept by chain, then source channel, then sequence: a number
 * key costs no string per packet. A route's packets are found through the
 * chains (a handful) rather than through an index of their own.
 */
export const make = Effect.sync(() => {
  const packets = new Map<string, Map<string, Map<number, Packet>>>()
  const parked = new Map<string, ReadonlyArray<PacketEvent>>()
  const links = new Map<string, ChannelLink>()
  // Links by their channel end (port and channel, any chain): what a route's slice holds.
  const linksByEnd = new Map<string, Array<ChannelLink>>()
  const cursors = new Map<string, number>()
  const heads = new Map<string, ChainHead>()
  // Chain ids, ports, channels and denoms repeat across packets, but each
  // parsed event brings its own copy of them. Their number is bounded by the
  // chains, channels and assets seen, not by the packets.
  const strings = new Map<string, string>()
  const intern = (v: string): string => {
    const known = strings.get(v)
    if (known !== undefined) return known
    strings.set(v, v)
    return v
  }

  const lookup = (key: PacketKey): Packet | undefined => packets.get(key.chain_id)?.get(key.src_channel)?.get(key.sequence)

  const everyPacket = function*(): Generator<Packet> {
    for (const channels of packets.values()) {
      for (const bySequence of channels.values()) yield* bySequence.values()
    }
  }

  const onRoute = (route: PacketRoute): Array<Packet> => {
    const found: Array<Packet> = []
    for (const channels of packets.values()) {
      const p = channels.get(route.src_channel)?.get(route.sequence)
      if (p !== undefined && p.src_port === route.src_port && p.dst_port === route.dst_port && p.dst_channel === route.dst_channel) {
        found.push(p)
      }
    }
    return found
  }

  const compact = (p: Packet): Packet => ({
    ...p,
    chain_id: intern(p.chain_id),
    src_port: intern(p.src_port),
    src_channel: intern(p.src_channel),
    dst_port: intern(p.dst_port),
    dst_channel: intern(p.dst_channel),
    data: p.data === null ? null : { ...p.data, denom: intern(p.data.denom) },
    sent: { ...p.sent, chain_id: intern(p.sent.chain_id) }
  })

  const put = (p: Packet) => {
    let channels = packets.get(p.chain_id)
    if (channels === undefined) packets.set(p.chain_id, channels = new Map())
    let bySequence = channels.get(p.src_channel)
    if (bySequence === undefined) channels.set(p.src_channel, bySequence = new Map())
    // A packet's fields never change after its send_packet, only its sightings do.
    const existing = bySequence.get(p.sequence)
    bySequence.set(p.sequence, existing === undefined ? compact(p) : p)
  }

  const write = (route: string, w: SliceWrite) => {
    for (const p of w.put) put(p)
    if (w.parked.length === 0) parked.delete(route)
    else parked.set(route, w.parked)
    for (const l of w.links) {
      const key = linkKeyOf(l)
      const end = `${l.port_id}/${l.channel_id}`
      const known = links.get(key)
      links.set(key, l)
      const atEnd = linksByEnd.get(end)
      if (atEnd === undefined) linksByEnd.set(end, [l])
      else if (known === undefined) atEnd.push(l)
      else atEnd[atEnd.indexOf(known)] = l
    }
  }

  const observeOne = <A>(route: PacketRoute, decide: (slice: PacketSlice) => readonly [SliceWrite, A]): A => {
    const key = routeKey(route)
    const slice: PacketSlice = {
      packets: onRoute(route),
      parked: parked.get(key) ?? [],
      links: linksByEnd.get(`${route.src_port}/${route.src_channel}`)?.slice() ?? []
    }
    const [w, a] = decide(slice)
    write(key, w)
    return a
  }

  return PacketStore.of({
    observe: <A>(route: PacketRoute, decide: (slice: PacketSlice) => readonly [SliceWrite, A]) =>
      leafSpan("PacketStore.observe", () => observeOne(route, decide)),
    observeEach: <I, A>(items: ReadonlyArray<I>, route: (item: I) => PacketRoute, decide: (slice: PacketSlice, item: I) => readonly [SliceWrite, A]) =>
      leafSpan("PacketStore.observeEach", () => items.map((item) => observeOne(route(item), (slice) => decide(slice, item)))),
    get: Effect.fn("PacketStore.get")(function*(key: PacketKey) {
      return Option.fromNullable(lookup(key))
    }),
    list: Effect.fn("PacketStore.list")(function*(query: PacketQuery) {
      const found = Array.from(everyPacket()).filter(matches(query)).sort(newestFirst)
      const from = query.offset ?? 0
      return query.limit === undefined ? found.slice(from) : found.slice(from, from + query.limit)
    }),
    duplicateHashes: Effect.fn("PacketStore.duplicateHashes")(function*() {
      const counts = new Map<string, number>()
      for (const p of everyPacket()) counts.set(p.data_hash, (counts.get(p.data_hash) ?? 0) + 1)
      return Array.from(counts, ([data_hash, count]) => ({ data_hash, count }))
        .filter((d) => d.count > 1)
        .sort((a, b) => b.count - a.count || (a.data_hash < b.data_hash ? -1 : 1))
    }),
    links: () => leafSpan("PacketStore.links", () => Array.from(links.values())),
    cursor: Effect.fn("PacketStore.cursor")(function*(chainId: string) {
      return Option.fromNullable(cursors.get(chainId))
    }),
    advance: (chainId: string, progress: { readonly cursor?: number | undefined; readonly head?: ChainHead | undefined }) =>
      leafSpan("PacketStore.advance", () => {
        if (progress.cursor !== undefined && progress.cursor > (cursors.get(chainId) ?? -1)) {
          cursors.set(chainId, progress.cursor)
        }
        const head = progress.head
        if (head !== undefined && head.height >= (heads.get(chainId)?.height ?? -1)) heads.set(chainId, head)
      }),
    heads: () => leafSpan("PacketStore.heads", () => Array.from(heads.values())),
    pruneParked: Effect.fn("PacketStore.pruneParked")(function*(before: number) {
      let dropped = 0
      for (const [route, events] of parked) {
        const kept = events.filter((e) => e.at.time >= before)
        dropped += events.length - kept.length
        if (kept.length === 0) parked.delete(route)
        else parked.set(route, kept)
      }
      return dropped
    })
  })
})

export const layer = Layer.effect(PacketStore, make)
