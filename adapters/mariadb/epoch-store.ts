import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer, Option } from "effect"
import { Epoch, MinerStatusRecord } from "../../core/epochs/model.js"
import { type EpochListFilter, EpochStore } from "../../ports/epoch-store.js"
import { jsonColumn, storeOps } from "./sql.js"

const epochBody = jsonColumn(Epoch)
const statusBody = jsonColumn(MinerStatusRecord)

/**
 * Epoch assignments keyed by epoch id (the primary key is what makes an
 * assignment exist once: `claim` is INSERT IGNORE, and whoever inserted
 * nothing reads the winner back), and miner status per (hotkey, epoch).
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "EpochStore")

  const read = (epochId: string) =>
    sql<{ body: unknown }>`SELECT body FROM epochs WHERE epoch_id = ${epochId}`.pipe(
      Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(epochBody.decode(rows[0]!.body)))
    )

  return EpochStore.of({
    claim: (epoch) =>
      Effect.gen(function*() {
        const result = yield* sql`INSERT IGNORE INTO epochs ${
          sql.insert({ epoch_id: epoch.id, start_at: epoch.start, body: epochBody.encode(epoch) })
        }`.raw
        const created = (result as { readonly affectedRows?: number }).affectedRows === 1
        if (created) return { epoch, created }
        const stored = yield* read(epoch.id)
        return { epoch: Option.getOrElse(stored, () => epoch), created: false }
      }).pipe(ops.run("claim")),

    get: (epochId) => read(epochId).pipe(ops.run("get")),

    list: (filter: EpochListFilter) =>
      sql<{ body: unknown }>`SELECT body FROM epochs WHERE ${
        sql.and([
          ...(filter.startAfter === undefined ? [] : [sql`start_at > ${filter.startAfter}`]),
          ...(filter.startBefore === undefined ? [] : [sql`start_at < ${filter.startBefore}`])
        ])
      } ORDER BY start_at DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => epochBody.decode(r.body))),
        ops.run("list")
      ),

    // The placeholder row (NULL body, committed on its own) gives the first
    // update of a pair a row to lock, so concurrent first updates queue on it
    // instead of racing to insert.
    updateMinerStatus: <E>(
      hotkey: string,
      epochId: string,
      decide: (current: Option.Option<MinerStatusRecord>) => Either.Either<MinerStatusRecord, E>
    ) => {
      const placeholder = sql`INSERT IGNORE INTO miner_statuses (hotkey, epoch_id, body) VALUES (${hotkey}, ${epochId}, NULL)`
      const update = Effect.gen(function*() {
        const rows = yield* sql<{ body: unknown }>`SELECT body FROM miner_statuses
          WHERE hotkey = ${hotkey} AND epoch_id = ${epochId} FOR UPDATE`.pipe(ops.run("updateMinerStatus"))
        const raw = rows[0]?.body
        const current = raw === null || raw === undefined
          ? Option.none<MinerStatusRecord>()
          : Option.some(yield* statusBody.decode(raw).pipe(ops.run("updateMinerStatus")))
        const next = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
        yield* sql`UPDATE miner_statuses SET body = ${statusBody.encode(next)}
          WHERE hotkey = ${hotkey} AND epoch_id = ${epochId}`.pipe(ops.run("updateMinerStatus"))
        return next
      })
      // The placeholder row (NULL body, committed on its own) gives the first
      // update of a pair a row to lock, so concurrent first updates queue on
      // it instead of racing to insert.
      return placeholder.pipe(ops.run("updateMinerStatus"), Effect.zipRight(ops.transaction("updateMinerStatus", update)))
    },

    // Placeholder rows whose first update has not committed yet carry no record.
    minerStatuses: (epochId) =>
      sql<{ body: unknown }>`SELECT body FROM miner_statuses
        WHERE epoch_id = ${epochId} AND body IS NOT NULL ORDER BY hotkey`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => statusBody.decode(r.body))),
        ops.run("minerStatuses")
      )
  })
})

export const layer = Layer.effect(EpochStore, make)
