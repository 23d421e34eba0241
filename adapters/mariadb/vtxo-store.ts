import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer, Option } from "effect"
import { VtxoNotFound } from "../../core/vtxo/errors.js"
import * as Machine from "../../core/vtxo/machine.js"
import { Settlement, type StatusCount, Vtxo, VtxoBatch, type VtxoStatus } from "../../core/vtxo/model.js"
import { type VtxoFilter, VtxoStore } from "../../ports/vtxo-store.js"
import { chunksOf, jsonColumn, storeOps, toBigInt, toNumber } from "./sql.js"

const vtxoBody = jsonColumn(Vtxo)
const batchBody = jsonColumn(VtxoBatch)
const settlementBody = jsonColumn(Settlement)

const columns = (v: Vtxo) => ({
  asset_id: v.asset_id,
  status: v.status,
  amount_sats: v.amount_sats,
  created_at: v.created_at,
  expires_at: v.expires_at,
  user_pubkey: v.user_pubkey,
  assignment_ref: v.assignment_ref,
  settlement_id: v.settlement_id,
  body: vtxoBody.encode(v)
})

/**
 * The VTXO inventory in MariaDB. Assignment is one transaction that takes
 * the smallest eligible row with `SELECT … FOR UPDATE SKIP LOCKED` (the
 * machine's order: amount, age, id): concurrent requests, on any replica,
 * each lock a different row instead of queueing on the same one, and a row
 * is assigned at most once because only its lock holder can change it.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "VtxoStore")
  const decodeAll = (rows: ReadonlyArray<{ readonly body: unknown }>) => Effect.forEach(rows, (r) => vtxoBody.decode(r.body))
  const update = (v: Vtxo) => sql`UPDATE vtxos SET ${sql.update(columns(v))} WHERE vtxo_id = ${v.vtxo_id}`

  return VtxoStore.of({
    insertBatch: (batch, items) =>
      ops.transaction(
        "insertBatch",
        Effect.gen(function*() {
          yield* sql`INSERT INTO vtxo_batches ${
            sql.insert({ batch_id: batch.batch_id, asset_id: batch.asset_id, body: batchBody.encode(batch) })
          }`
          for (const chunk of chunksOf(items, 200)) {
            yield* sql`INSERT INTO vtxos ${sql.insert(chunk.map((v) => ({ vtxo_id: v.vtxo_id, ...columns(v) })))}`
          }
        }).pipe(ops.run("insertBatch"))
      ),

    get: (vtxoId) =>
      sql<{ body: unknown }>`SELECT body FROM vtxos WHERE vtxo_id = ${vtxoId}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(vtxoBody.decode(rows[0]!.body))),
        ops.run("get")
      ),

    assignSmallestAtLeast: (request) =>
      ops.transaction(
        "assignSmallestAtLeast",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos
            WHERE asset_id = ${request.asset_id} AND status = 'available'
              AND amount_sats >= ${request.amount} AND expires_at > ${request.now}
            ORDER BY amount_sats, created_at, vtxo_id
            LIMIT 1 FOR UPDATE SKIP LOCKED`
          if (rows.length === 0) return Option.none<Vtxo>()
          const assigned = Machine.assign(
            yield* vtxoBody.decode(rows[0]!.body),
            { user_pubkey: request.user_pubkey, ref: request.ref },
            request.now
          )
          yield* update(assigned)
          return Option.some(assigned)
        }).pipe(ops.run("assignSmallestAtLeast"))
      ),

    modify: <A, E>(vtxoId: string, decide: (current: Vtxo) => Either.Either<readonly [Vtxo, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos WHERE vtxo_id = ${vtxoId} FOR UPDATE`.pipe(ops.run("modify"))
          if (rows.length === 0) return yield* new VtxoNotFound({ vtxo_id: vtxoId })
          const current = yield* vtxoBody.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          yield* update(next).pipe(ops.run("modify"))
          return a
        })
      ),

    list: (filter: VtxoFilter) =>
      sql<{ body: unknown }>`SELECT body FROM vtxos WHERE ${
        sql.and([
          ...(filter.user_pubkey === undefined ? [] : [sql`user_pubkey = ${filter.user_pubkey}`]),
          ...(filter.asset_id === undefined ? [] : [sql`asset_id = ${filter.asset_id}`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
          ...(filter.assignment_ref === undefined ? [] : [sql`assignment_ref = ${filter.assignment_ref}`]),
          ...(filter.unsettled === undefined
            ? []
            : [filter.unsettled
              ? sql`(status = 'spent' AND settlement_id IS NULL)`
              : sql`NOT (status = 'spent' AND settlement_id IS NULL)`])
        ])
      } ORDER BY created_at DESC, seq ASC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap(decodeAll),
        ops.run("list")
      ),

    countByStatus: () =>
      sql<{ asset_id: string; status: VtxoStatus; n: unknown; sats: unknown }>`
        SELECT asset_id, status, COUNT(*) AS n, SUM(amount_sats) AS sats FROM vtxos GROUP BY asset_id, status`.pipe(
        Effect.map((rows) =>
          rows.map((r): StatusCount => ({ asset_id: r.asset_id, status: r.status, count: toNumber(r.n), amount_sats: toBigInt(r.sats) }))
        ),
        ops.run("countByStatus")
      ),

    expireDue: (now) =>
      ops.transaction(
        "expireDue",
        Effect.gen(function*() {
          // SKIP LOCKED: a VTXO being assigned or spent right now is left to its
          // holder; the next sweep sees it if it is still due.
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos
            WHERE status IN ('available', 'assigned') AND expires_at <= ${now} FOR UPDATE SKIP LOCKED`
          const expired: Array<Vtxo> = []
          for (const v of yield* decodeAll(rows)) {
            const next = Machine.expireIfDue(v, now)
            if (Option.isSome(next)) {
              yield* update(next.value)
              expired.push(next.value)
            }
          }
          return expired
        }).pipe(ops.run("expireDue"))
      ),

    listBatches: (filter) =>
      sql<{ body: unknown }>`SELECT body FROM vtxo_batches WHERE ${
        sql.and(filter.asset_id === undefined ? [] : [sql`asset_id = ${filter.asset_id}`])
      } ORDER BY seq DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => batchBody.decode(r.body))),
        ops.run("listBatches")
      ),

    recordSettlement: (settlement) =>
      ops.transaction(
        "recordSettlement",
        Effect.gen(function*() {
          const stamped = new Set<string>()
          let total = 0n
          // Locked in id order, so two runners stamping overlapping sets cannot deadlock.
          for (const chunk of chunksOf(Array.from(new Set(settlement.vtxo_ids)).sort(), 500)) {
            const rows = yield* sql<{ body: unknown }>`SELECT body FROM vtxos
              WHERE ${sql.in("vtxo_id", chunk)} AND status = 'spent' AND settlement_id IS NULL ORDER BY vtxo_id FOR UPDATE`
            for (const v of yield* decodeAll(rows)) {
              yield* update({ ...v, settlement_id: settlement.settlement_id })
              total += v.amount_sats
              stamped.add(v.vtxo_id)
            }
          }
          // Reported in the settlement's own order of ids.
          const order = settlement.vtxo_ids.filter((id) => stamped.delete(id))
          if (order.length > 0) {
            const recorded: Settlement = { ...settlement, vtxo_ids: order, total_amount_sats: total }
            yield* sql`INSERT INTO vtxo_settlements ${
              sql.insert({ settlement_id: settlement.settlement_id, body: settlementBody.encode(recorded) })
            }`
          }
          return order
        }).pipe(ops.run("recordSettlement"))
      ),

    listSettlements: (limit) =>
      (limit <= 0
        ? Effect.succeed([])
        : sql<{ body: unknown }>`SELECT body FROM vtxo_settlements ORDER BY seq DESC LIMIT ${limit}`.pipe(
          Effect.flatMap((rows) => Effect.forEach(rows, (r) => settlementBody.decode(r.body)))
        )).pipe(ops.run("listSettlements"))
  })
})

export const layer = Layer.effect(VtxoStore, make)
