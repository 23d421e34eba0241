import { Effect, Layer, Option } from "effect"
import {
  type ChainHead,
  type ChannelLink,
  type Packet,
  type PacketEvent,
  packetId,
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
 * Ingestion calls observe, advance, heads and links for every tx. `Effect.fn`
 * and a span's call-site stack trace each cost a `new Error()`, about as much
 * CPU as parsing the event, and add nothing here: the span name already says
 * which store method ran.
 */
const noStack = { captureStackTrace: false } as const

/**
 * In-process packet store. Every operation is one synchronous block over
 * plain maps, which the event loop never interleaves: `observe`'s read,
 * decision and write are atomic without a lock.
 */
export const make = Effect.sync(() => {
  const packets = new Map<string, Packet>()
  // A route holds one packet per chain that sent it, rarely more than one: an
  // array costs a fraction of a Set's memory at that size.
  const byRoute = new Map<string, Array<string>>()
  const parked = new Map<string, ReadonlyArray<PacketEvent>>()
  const links = new Map<string, ChannelLink>()
  const cursors = new Map<string, number>()
  const heads = new Map<string, ChainHead>()

  const write = (route: string, w: SliceWrite) => {
    for (const p of w.put) {
      const id = packetId(p)
      packets.set(id, p)
      const ids = byRoute.get(route)
      if (ids === undefined) byRoute.set(route, [id])
      else if (!ids.includes(id)) ids.push(id)
    }
    if (w.parked.length === 0) parked.delete(route)
    else parked.set(route, w.parked)
    for (const l of w.links) links.set(linkKeyOf(l), l)
  }

  return PacketStore.of({
    observe: <A>(route: PacketRoute, decide: (slice: PacketSlice) => readonly [SliceWrite, A]) =>
      Effect.sync(() => {
        const key = routeKey(route)
        const slice: PacketSlice = {
          packets: Array.from(byRoute.get(key) ?? [], (id) => packets.get(id)!),
          parked: parked.get(key) ?? [],
          links: Array.from(links.values()).filter((l) => l.port_id === route.src_port && l.channel_id === route.src_channel)
        }
        const [w, a] = decide(slice)
        write(key, w)
        return a
      }).pipe(Effect.withSpan("PacketStore.observe", noStack)),
    get: Effect.fn("PacketStore.get")(function*(key: PacketKey) {
      return Option.fromNullable(packets.get(packetId(key)))
    }),
    list: Effect.fn("PacketStore.list")(function*(query: PacketQuery) {
      const all = Array.from(packets.values()).filter(matches(query)).sort(newestFirst)
      const from = query.offset ?? 0
      return query.limit === undefined ? all.slice(from) : all.slice(from, from + query.limit)
    }),
    duplicateHashes: Effect.fn("PacketStore.duplicateHashes")(function*() {
      const counts = new Map<string, number>()
      for (const p of packets.values()) counts.set(p.data_hash, (counts.get(p.data_hash) ?? 0) + 1)
      return Array.from(counts, ([data_hash, count]) => ({ data_hash, count }))
        .filter((d) => d.count > 1)
        .sort((a, b) => b.count - a.count || (a.data_hash < b.data_hash ? -1 : 1))
    }),
    links: () => Effect.sync(() => Array.from(links.values())).pipe(Effect.withSpan("PacketStore.links", noStack)),
    cursor: Effect.fn("PacketStore.cursor")(function*(chainId: string) {
      return Option.fromNullable(cursors.get(chainId))
    }),
    advance: (chainId: string, progress: { readonly cursor?: number | undefined; readonly head?: ChainHead | undefined }) =>
      Effect.sync(() => {
        if (progress.cursor !== undefined && progress.cursor > (cursors.get(chainId) ?? -1)) {
          cursors.set(chainId, progress.cursor)
        }
        const head = progress.head
        if (head !== undefined && head.height >= (heads.get(chainId)?.height ?? -1)) heads.set(chainId, head)
      }).pipe(Effect.withSpan("PacketStore.advance", noStack)),
    heads: () => Effect.sync(() => Array.from(heads.values())).pipe(Effect.withSpan("PacketStore.heads", noStack)),
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
