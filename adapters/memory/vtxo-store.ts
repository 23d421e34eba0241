import { Effect, Either, Layer, Option } from "effect"
import { VtxoNotFound } from "../../core/vtxo/errors.js"
import * as Machine from "../../core/vtxo/machine.js"
import type { Settlement, StatusCount, Vtxo, VtxoBatch, VtxoStatus } from "../../core/vtxo/model.js"
import { type VtxoFilter, VtxoStore } from "../../ports/vtxo-store.js"

const newestFirst = (a: { readonly created_at: number }, b: { readonly created_at: number }) => b.created_at - a.created_at

const matches = (f: VtxoFilter) => (v: Vtxo) =>
  (f.user_pubkey === undefined || v.user_pubkey === f.user_pubkey) &&
  (f.asset_id === undefined || v.asset_id === f.asset_id) &&
  (f.status === undefined || v.status === f.status) &&
  (f.assignment_ref === undefined || v.assignment_ref === f.assignment_ref) &&
  (f.unsettled === undefined || (v.status === "spent" && v.settlement_id === null) === f.unsettled)

/**
 * The inventory in process memory. Each operation runs as one synchronous
 * block, so selection and assignment cannot interleave with another
 * request's: that is the atomicity the port promises.
 */
export const make = Effect.sync(() => {
  const vtxos = new Map<string, Vtxo>()
  const batches: Array<VtxoBatch> = []
  const settlements: Array<Settlement> = []

  return VtxoStore.of({
    insertBatch: (batch, items) =>
      Effect.sync(() => {
        batches.push(batch)
        for (const v of items) vtxos.set(v.vtxo_id, v)
      }).pipe(Effect.withSpan("VtxoStore.insertBatch")),

    get: (vtxoId) => Effect.sync(() => Option.fromNullable(vtxos.get(vtxoId))).pipe(Effect.withSpan("VtxoStore.get")),

    assignSmallestAtLeast: (request) =>
      Effect.sync(() =>
        Option.map(Machine.pickSmallestAtLeast(vtxos.values(), request), (v) => {
          const assigned = Machine.assign(v, { user_pubkey: request.user_pubkey, ref: request.ref }, request.now)
          vtxos.set(v.vtxo_id, assigned)
          return assigned
        })
      ).pipe(Effect.withSpan("VtxoStore.assignSmallestAtLeast")),

    modify: <A, E>(vtxoId: string, decide: (current: Vtxo) => Either.Either<readonly [Vtxo, A], E>) =>
      Effect.suspend((): Effect.Effect<A, E | VtxoNotFound> => {
        const current = vtxos.get(vtxoId)
        if (current === undefined) return Effect.fail(new VtxoNotFound({ vtxo_id: vtxoId }))
        return Either.match(decide(current), {
          onLeft: Effect.fail,
          onRight: ([next, a]) => {
            vtxos.set(vtxoId, next)
            return Effect.succeed(a)
          }
        })
      }).pipe(Effect.withSpan("VtxoStore.modify")),

    list: (filter) =>
      Effect.sync(() => {
        const all = Array.from(vtxos.values()).filter(matches(filter)).sort(newestFirst)
        return filter.limit === undefined ? all : all.slice(0, filter.limit)
      }).pipe(Effect.withSpan("VtxoStore.list")),

    countByStatus: () =>
      Effect.sync(() => {
        const rows = new Map<string, { asset_id: string; status: VtxoStatus; count: number; amount_sats: bigint }>()
        for (const v of vtxos.values()) {
          const key = `${v.asset_id}\u0000${v.status}`
          const row = rows.get(key) ?? { asset_id: v.asset_id, status: v.status, count: 0, amount_sats: 0n }
          row.count++
          row.amount_sats += v.amount_sats
          rows.set(key, row)
        }
        return Array.from(rows.values()) as ReadonlyArray<StatusCount>
      }).pipe(Effect.withSpan("VtxoStore.countByStatus")),

    expireDue: (now) =>
      Effect.sync(() => {
        const expired: Array<Vtxo> = []
        for (const v of vtxos.values()) {
          const next = Machine.expireIfDue(v, now)
          if (Option.isSome(next)) {
            vtxos.set(v.vtxo_id, next.value)
            expired.push(next.value)
          }
        }
        return expired
      }).pipe(Effect.withSpan("VtxoStore.expireDue")),

    listBatches: (filter) =>
      Effect.sync(() => {
        const all = batches.filter((b) => filter.asset_id === undefined || b.asset_id === filter.asset_id).reverse()
        return filter.limit === undefined ? all : all.slice(0, filter.limit)
      }).pipe(Effect.withSpan("VtxoStore.listBatches")),

    recordSettlement: (settlement) =>
      Effect.sync(() => {
        const stamped: Array<string> = []
        let total = 0n
        for (const id of settlement.vtxo_ids) {
          const v = vtxos.get(id)
          if (v !== undefined && v.status === "spent" && v.settlement_id === null) {
            vtxos.set(id, { ...v, settlement_id: settlement.settlement_id })
            stamped.push(id)
            total += v.amount_sats
          }
        }
        if (stamped.length > 0) settlements.push({ ...settlement, vtxo_ids: stamped, total_amount_sats: total })
        return stamped
      }).pipe(Effect.withSpan("VtxoStore.recordSettlement")),

    listSettlements: (limit) =>
      Effect.sync(() => (limit <= 0 ? [] : settlements.slice(-limit).reverse())).pipe(Effect.withSpan("VtxoStore.listSettlements"))
  })
})

export const layer = Layer.effect(VtxoStore, make)
