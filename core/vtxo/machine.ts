import { Either, Option } from "effect"
import { InvalidVtxoState, VtxoAlreadySpent } from "./errors.js"
import { MAX_BATCH, MIN_AVAILABLE, REPLENISH_RATIO, type StatusCount, type Vtxo, type VtxoStatus } from "./model.js"

export interface AssignQuery {
  readonly asset_id: string
  readonly amount: bigint
  readonly now: number
}

/** Available for assignment: unassigned, of the asset, not yet expired. */
export const isAssignable = (v: Vtxo, q: AssignQuery): boolean =>
  v.status === "available" && v.asset_id === q.asset_id && v.expires_at > q.now && v.amount_sats >= q.amount

/** Smaller first; among equals the oldest, then by id, so the choice is deterministic. */
export const assignmentOrder = (a: Vtxo, b: Vtxo): number =>
  a.amount_sats !== b.amount_sats
    ? (a.amount_sats < b.amount_sats ? -1 : 1)
    : a.created_at !== b.created_at
    ? a.created_at - b.created_at
    : a.vtxo_id < b.vtxo_id
    ? -1
    : a.vtxo_id > b.vtxo_id
    ? 1
    : 0

/** The smallest assignable VTXO covering `amount`: what `VtxoStore.assignSmallestAtLeast` takes, atomically. */
export const pickSmallestAtLeast = (vtxos: Iterable<Vtxo>, q: AssignQuery): Option.Option<Vtxo> => {
  let best: Vtxo | undefined
  for (const v of vtxos) if (isAssignable(v, q) && (best === undefined || assignmentOrder(v, best) < 0)) best = v
  return Option.fromNullable(best)
}

export const assign = (v: Vtxo, to: { readonly user_pubkey: string; readonly ref: string | null }, now: number): Vtxo => ({
  ...v,
  status: "assigned",
  user_pubkey: to.user_pubkey,
  assignment_ref: to.ref,
  assigned_at: now
})

/**
 * Spent once: marking it spent again by the same txid is a no-op (a retried
 * request), by another txid a conflict. An expired VTXO cannot be spent.
 */
export const markSpent = (v: Vtxo, spendingTxid: string, now: number): Either.Either<Vtxo, VtxoAlreadySpent | InvalidVtxoState> => {
  if (v.status === "spent") {
    return v.spending_txid === spendingTxid
      ? Either.right(v)
      : Either.left(new VtxoAlreadySpent({ vtxo_id: v.vtxo_id, spending_txid: v.spending_txid ?? "" }))
  }
  if (v.status === "expired") return Either.left(new InvalidVtxoState({ vtxo_id: v.vtxo_id, status: v.status, action: "mark it spent" }))
  return Either.right({ ...v, status: "spent", spent_at: now, spending_txid: spendingTxid })
}

/** Gives an assignment back (a ceremony that failed before spending it). Only the assignment's own ref may. */
export const unassign = (v: Vtxo, ref: string): Either.Either<Vtxo, InvalidVtxoState> =>
  v.status === "assigned" && v.assignment_ref === ref
    ? Either.right({ ...v, status: "available", user_pubkey: null, assignment_ref: null, assigned_at: null })
    : Either.left(new InvalidVtxoState({ vtxo_id: v.vtxo_id, status: v.status, action: "release the assignment" }))

/** Unspent VTXOs past VTXO_EXPIRATION_HOURS leave the inventory. */
export const expireIfDue = (v: Vtxo, now: number): Option.Option<Vtxo> =>
  (v.status === "available" || v.status === "assigned") && now >= v.expires_at
    ? Option.some({ ...v, status: "expired" })
    : Option.none()

/**
 * How many VTXOs bring the inventory back: at least MIN_AVAILABLE available,
 * and available at least REPLENISH_RATIO of the live ones (available +
 * assigned), counting the new ones. 0 when neither rule is broken; never more
 * than one batch.
 */
export const replenishCount = (available: number, live: number): number => {
  // (a + k) ≥ 0.3 (l + k)  ⇔  k ≥ (3l − 10a) / 7
  const byRatio = Math.ceil((3 * live - 10 * available) / 7)
  return Math.max(0, Math.min(MAX_BATCH, Math.max(MIN_AVAILABLE - available, byRatio)))
}

export interface InventoryStatus {
  readonly asset_id: string
  readonly counts: Readonly<Record<VtxoStatus, number>>
  readonly available_sats: bigint
  readonly assigned_sats: bigint
  /** available / (available + assigned); 1 for an empty inventory. */
  readonly available_ratio: number
  readonly needs_replenishment: boolean
  readonly recommended_batch: number
}

export const inventoryStatus = (assetId: string, rows: ReadonlyArray<StatusCount>): InventoryStatus => {
  const counts: Record<VtxoStatus, number> = { available: 0, assigned: 0, spent: 0, expired: 0 }
  const sats: Record<VtxoStatus, bigint> = { available: 0n, assigned: 0n, spent: 0n, expired: 0n }
  for (const r of rows) {
    if (r.asset_id !== assetId) continue
    counts[r.status] += r.count
    sats[r.status] += r.amount_sats
  }
  const live = counts.available + counts.assigned
  const recommended = replenishCount(counts.available, live)
  return {
    asset_id: assetId,
    counts,
    available_sats: sats.available,
    assigned_sats: sats.assigned,
    available_ratio: live === 0 ? 1 : counts.available / live,
    needs_replenishment: counts.available < MIN_AVAILABLE || counts.available < REPLENISH_RATIO * live,
    recommended_batch: recommended
  }
}
