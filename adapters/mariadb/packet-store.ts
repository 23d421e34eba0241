import { SqlClient, type Statement } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import {
  type ChainHead,
  type ChannelLink,
  Packet,
  PacketEvent,
  type PacketKey,
  type PacketRoute,
  type PacketSlice,
  type SliceWrite
} from "../../core/clearing/model.js"
import { type PacketQuery, PacketStore } from "../../ports/packet-store.js"
import { jsonColumn, storeOps, toNumber } from "./sql.js"

const packetBody = jsonColumn(Packet)
const parkedBody = jsonColumn(Schema.Array(PacketEvent))

const routeWhere = (sql: SqlClient.SqlClient, r: PacketRoute) =>
  sql`src_port = ${r.src_port} AND src_channel = ${r.src_channel} AND dst_port = ${r.dst_port}
    AND dst_channel = ${r.dst_channel} AND sequence = ${r.sequence}`

const packetColumns = (p: Packet) => ({
  src_port: p.src_port,
  dst_port: p.dst_port,
  dst_channel: p.dst_channel,
  data_hash: p.data_hash,
  sender: p.data?.sender ?? null,
  receiver: p.data?.receiver ?? null,
  sent_time: p.sent.time,
  sent_height: p.sent.height,
  delivered: p.received !== null || p.acknowledged !== null ? 1 : 0,
  body: packetBody.encode(p)
})

/**
 * IBC packets in MariaDB. `observe` locks the route's row (created on first
 * sight, committed on its own so concurrent first observers queue on it),
 * reads every packet, parked event and link of the route, runs the pure
 * decision and writes its slice back in the same transaction: events for one
 * packet arriving from two chains' ingest fibers, or two replicas, are applied
 * one after the other.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "PacketStore")
  const decodePackets = (rows: ReadonlyArray<{ readonly body: unknown }>) => Effect.forEach(rows, (r) => packetBody.decode(r.body))

  const linkRows = (where: Statement.Fragment) =>
    sql<{ chain_id: string; port_id: string; channel_id: string; counterparty_chain_id: string }>`
      SELECT chain_id, port_id, channel_id, counterparty_chain_id FROM packet_links WHERE ${where} ORDER BY seq`.pipe(
      Effect.map((rows) =>
        rows.map((r): ChannelLink => ({
          chain_id: r.chain_id,
          port_id: r.port_id,
          channel_id: r.channel_id,
          counterparty_chain_id: r.counterparty_chain_id
        }))
      )
    )

  const writeSlice = (route: PacketRoute, w: SliceWrite) =>
    Effect.gen(function*() {
      for (const p of w.put) {
        const cols = packetColumns(p)
        yield* sql`INSERT INTO packets ${
          sql.insert({ chain_id: p.chain_id, src_channel: p.src_channel, sequence: p.sequence, ...cols })
        } ON DUPLICATE KEY UPDATE ${sql.literal(Object.keys(cols).map((c) => `${c} = VALUES(${c})`).join(", "))}`
      }
      const minAt = w.parked.length === 0 ? null : Math.min(...w.parked.map((e) => e.at.time))
      yield* sql`UPDATE packet_routes SET parked = ${parkedBody.encode(w.parked)}, parked_min_at = ${minAt}
        WHERE ${routeWhere(sql, route)}`
      for (const l of w.links) {
        yield* sql`INSERT INTO packet_links ${sql.insert({ ...l })}
          ON DUPLICATE KEY UPDATE counterparty_chain_id = VALUES(counterparty_chain_id)`
      }
    })

  const observe = <A>(route: PacketRoute, decide: (slice: PacketSlice) => readonly [SliceWrite, A]) =>
    sql`INSERT IGNORE INTO packet_routes ${sql.insert({ ...route, parked: "[]", parked_min_at: null })}`.pipe(
      ops.run("observe"),
      Effect.zipRight(ops.transaction(
        "observe",
        Effect.gen(function*() {
          const [routeRow] = yield* sql<{ parked: unknown }>`SELECT parked FROM packet_routes WHERE ${routeWhere(sql, route)} FOR UPDATE`
          const packets = yield* sql<{ body: unknown }>`SELECT body FROM packets WHERE ${routeWhere(sql, route)}
            ORDER BY chain_id FOR UPDATE`.pipe(Effect.flatMap(decodePackets))
          const slice: PacketSlice = {
            packets,
            parked: routeRow === undefined ? [] : yield* parkedBody.decode(routeRow.parked),
            links: yield* linkRows(sql`port_id = ${route.src_port} AND channel_id = ${route.src_channel}`)
          }
          const [write, a] = decide(slice)
          yield* writeSlice(route, write)
          return a
        }).pipe(ops.run("observe"))
      ))
    )

  return PacketStore.of({
    observe,

    // One transaction per item, as `observe`: one across many routes would lock them in
    // an order another replica's chunk may not share.
    observeEach: <I, A>(items: ReadonlyArray<I>, route: (item: I) => PacketRoute, decide: (slice: PacketSlice, item: I) => readonly [SliceWrite, A]) =>
      Effect.forEach(items, (item) => observe(route(item), (slice) => decide(slice, item))),

    get: (key: PacketKey) =>
      sql<{ body: unknown }>`SELECT body FROM packets
        WHERE chain_id = ${key.chain_id} AND src_channel = ${key.src_channel} AND sequence = ${key.sequence}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(packetBody.decode(rows[0]!.body))),
        ops.run("get")
      ),

    list: (q: PacketQuery) => {
      const role = q.role ?? "any"
      const address = q.address === undefined
        ? []
        : role === "sender"
        ? [sql`sender = ${q.address}`]
        : role === "receiver"
        ? [sql`receiver = ${q.address}`]
        : [sql`(sender = ${q.address} OR receiver = ${q.address})`]
      const page = q.limit === undefined
        ? (q.offset === undefined || q.offset === 0 ? sql`` : sql`LIMIT 18446744073709551615 OFFSET ${q.offset}`)
        : sql`LIMIT ${q.limit} OFFSET ${q.offset ?? 0}`
      return sql<{ body: unknown }>`SELECT body FROM packets WHERE ${
        sql.and([
          ...(q.chain_id === undefined ? [] : [sql`chain_id = ${q.chain_id}`]),
          ...(q.src_channel === undefined ? [] : [sql`src_channel = ${q.src_channel}`]),
          ...(q.data_hash === undefined ? [] : [sql`data_hash = ${q.data_hash}`]),
          ...(q.sent_after === undefined ? [] : [sql`sent_time >= ${q.sent_after}`]),
          ...(q.sent_before === undefined ? [] : [sql`sent_time <= ${q.sent_before}`]),
          ...(q.undelivered === undefined ? [] : [sql`delivered = ${q.undelivered ? 0 : 1}`]),
          ...address
        ])
      } ORDER BY sent_time DESC, sent_height DESC, chain_id ASC, src_channel ASC, sequence DESC ${page}`.pipe(
        Effect.flatMap(decodePackets),
        ops.run("list")
      )
    },

    duplicateHashes: () =>
      sql<{ data_hash: string; n: unknown }>`SELECT data_hash, COUNT(*) AS n FROM packets
        GROUP BY data_hash HAVING COUNT(*) > 1 ORDER BY n DESC, data_hash ASC`.pipe(
        Effect.map((rows) => rows.map((r) => ({ data_hash: r.data_hash, count: toNumber(r.n) }))),
        ops.run("duplicateHashes")
      ),

    links: () => linkRows(sql`1 = 1`).pipe(ops.run("links")),

    cursor: (chainId) =>
      sql<{ cursor_height: unknown }>`SELECT cursor_height FROM packet_chains WHERE chain_id = ${chainId}`.pipe(
        Effect.map((rows) =>
          rows.length === 0 || rows[0]!.cursor_height === null ? Option.none() : Option.some(toNumber(rows[0]!.cursor_height))
        ),
        ops.run("cursor")
      ),

    // Each column moves only forward; the head's time follows its height
    // (assigned first, while head_height still holds the old value).
    advance: (chainId, progress) =>
      sql`INSERT INTO packet_chains ${
        sql.insert({
          chain_id: chainId,
          cursor_height: progress.cursor ?? null,
          head_height: progress.head?.height ?? null,
          head_time: progress.head?.time ?? null
        })
      } ON DUPLICATE KEY UPDATE
        cursor_height = IF(VALUES(cursor_height) IS NOT NULL AND (cursor_height IS NULL OR VALUES(cursor_height) > cursor_height),
          VALUES(cursor_height), cursor_height),
        head_time = IF(VALUES(head_height) IS NOT NULL AND (head_height IS NULL OR VALUES(head_height) >= head_height),
          VALUES(head_time), head_time),
        head_height = IF(VALUES(head_height) IS NOT NULL AND (head_height IS NULL OR VALUES(head_height) >= head_height),
          VALUES(head_height), head_height)`.pipe(Effect.asVoid, ops.run("advance")),

    heads: () =>
      sql<{ chain_id: string; head_height: unknown; head_time: unknown }>`SELECT chain_id, head_height, head_time
        FROM packet_chains WHERE head_height IS NOT NULL ORDER BY seq`.pipe(
        Effect.map((rows) =>
          rows.map((r): ChainHead => ({ chain_id: r.chain_id, height: toNumber(r.head_height), time: toNumber(r.head_time) }))
        ),
        ops.run("heads")
      ),

    pruneParked: (before) =>
      Effect.gen(function*() {
        const due = yield* sql<PacketRoute>`SELECT src_port, src_channel, dst_port, dst_channel, sequence FROM packet_routes
          WHERE parked_min_at < ${before}`
        let dropped = 0
        for (const row of due) {
          const route: PacketRoute = { ...row, sequence: toNumber(row.sequence) }
          dropped += yield* sql.withTransaction(Effect.gen(function*() {
            const [locked] = yield* sql<{ parked: unknown }>`SELECT parked FROM packet_routes WHERE ${routeWhere(sql, route)} FOR UPDATE`
            if (locked === undefined) return 0
            const events = yield* parkedBody.decode(locked.parked)
            const kept = events.filter((e) => e.at.time >= before)
            if (kept.length === events.length) return 0
            yield* sql`UPDATE packet_routes SET parked = ${parkedBody.encode(kept)},
              parked_min_at = ${kept.length === 0 ? null : Math.min(...kept.map((e) => e.at.time))} WHERE ${routeWhere(sql, route)}`
            return events.length - kept.length
          }))
        }
        return dropped
      }).pipe(ops.run("pruneParked"))
  })
})

export const layer = Layer.effect(PacketStore, make)
