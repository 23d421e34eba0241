import { Effect, Either, Layer, Option } from "effect"
import { AssetAlreadyExists, AssetNotFound } from "../../core/ledger/errors.js"
import type { LedgerSnapshot, LedgerWrite } from "../../core/ledger/machine.js"
import { type AccountKey, type Asset, availableOf, type Hold, type JournalEntry, reservedOf } from "../../core/ledger/model.js"
import {
  type AccountBalance,
  type CommitRequest,
  type Committed,
  type HoldFilter,
  type JournalFilter,
  LedgerStore
} from "../../ports/ledger-store.js"

const balanceKey = (assetId: string, account: AccountKey) => `${assetId}\u0000${account}`

const userOf = (account: AccountKey): string | undefined => /^user:(.+):(available|reserved)$/.exec(account)?.[1]

/**
 * The ledger in process memory. Every operation is one synchronous block, so
 * no other fiber can observe or interleave with a half-applied commit: that is
 * what makes `commit` atomic here (a SQL store gets the same from a
 * transaction with row locks).
 */
export const make = Effect.sync(() => {
  const assets = new Map<string, Asset>()
  const balances = new Map<string, bigint>()
  /** user → asset ids the user has accounts in. */
  const byUser = new Map<string, Set<string>>()
  const entries = new Map<string, JournalEntry>()
  const order: Array<JournalEntry> = []
  const holds = new Map<string, Hold>()

  const read = (assetId: string, account: AccountKey) => balances.get(balanceKey(assetId, account)) ?? 0n

  const apply = (e: JournalEntry) => {
    let sum = 0n
    for (const p of e.postings) sum += p.amount
    // The machine guarantees balanced entries; an unbalanced one is a bug that must not reach the books.
    if (sum !== 0n) throw new Error(`unbalanced journal entry ${e.entry_id}`)
    for (const p of e.postings) {
      balances.set(balanceKey(e.asset_id, p.account), read(e.asset_id, p.account) + p.amount)
      const user = userOf(p.account)
      if (user !== undefined) byUser.set(user, (byUser.get(user) ?? new Set()).add(e.asset_id))
    }
    entries.set(e.entry_id, e)
    order.push(e)
  }

  const holdMatches = (f: HoldFilter) => (h: Hold) =>
    (f.status === undefined || h.status === f.status) && (f.owner === undefined || h.owner === f.owner) &&
    (f.purpose === undefined || h.purpose === f.purpose)

  const entryMatches = (f: JournalFilter) => (e: JournalEntry) =>
    (f.asset_id === undefined || e.asset_id === f.asset_id) &&
    (f.user_pubkey === undefined ||
      e.postings.some((p) => p.account === availableOf(f.user_pubkey!) || p.account === reservedOf(f.user_pubkey!)))

  return LedgerStore.of({
    insertAsset: (asset) =>
      Effect.suspend(() => {
        if (assets.has(asset.asset_id)) return Effect.fail(new AssetAlreadyExists({ asset_id: asset.asset_id }))
        assets.set(asset.asset_id, asset)
        return Effect.void
      }).pipe(Effect.withSpan("LedgerStore.insertAsset")),

    getAsset: (assetId) => Effect.sync(() => Option.fromNullable(assets.get(assetId))).pipe(Effect.withSpan("LedgerStore.getAsset")),

    listAssets: () => Effect.sync(() => Array.from(assets.values())).pipe(Effect.withSpan("LedgerStore.listAssets")),

    commit: <E>(request: CommitRequest, decide: (snapshot: LedgerSnapshot) => Either.Either<LedgerWrite, E>) =>
      Effect.suspend((): Effect.Effect<Committed, E | AssetNotFound> => {
        const known = entries.get(request.entry_id)
        const hold = request.hold_id === undefined ? Option.none<Hold>() : Option.fromNullable(holds.get(request.hold_id))
        if (known !== undefined) return Effect.succeed({ entry: known, replayed: true, hold })
        const asset = assets.get(request.asset_id)
        if (asset === undefined) return Effect.fail(new AssetNotFound({ asset_id: request.asset_id }))
        const snapshot: LedgerSnapshot = {
          asset,
          accounts: new Map(request.accounts.map((k) => [k, read(asset.asset_id, k)])),
          hold
        }
        return Either.match(decide(snapshot), {
          onLeft: Effect.fail,
          onRight: (write) => {
            apply({ ...write.entry, entry_id: request.entry_id })
            assets.set(write.asset.asset_id, write.asset)
            if (Option.isSome(write.hold)) holds.set(write.hold.value.hold_id, write.hold.value)
            return Effect.succeed({ entry: entries.get(request.entry_id)!, replayed: false, hold: write.hold })
          }
        })
      }).pipe(Effect.withSpan("LedgerStore.commit", { attributes: { entry_id: request.entry_id } })),

    getHold: (holdId) => Effect.sync(() => Option.fromNullable(holds.get(holdId))).pipe(Effect.withSpan("LedgerStore.getHold")),

    listHolds: (filter) =>
      Effect.sync(() => Array.from(holds.values()).filter(holdMatches(filter))).pipe(Effect.withSpan("LedgerStore.listHolds")),

    balances: (filter) =>
      Effect.sync(() => {
        const out: Array<AccountBalance> = []
        if ("user_pubkey" in filter) {
          for (const assetId of byUser.get(filter.user_pubkey) ?? []) {
            for (const account of [availableOf(filter.user_pubkey), reservedOf(filter.user_pubkey)]) {
              const balance = read(assetId, account)
              if (balance !== 0n) out.push({ asset_id: assetId, account, balance })
            }
          }
          return out
        }
        const prefix = `${filter.asset_id}\u0000`
        for (const [key, balance] of balances) {
          if (key.startsWith(prefix) && balance !== 0n) out.push({ asset_id: filter.asset_id, account: key.slice(prefix.length), balance })
        }
        return out
      }).pipe(Effect.withSpan("LedgerStore.balances")),

    journal: (filter) =>
      Effect.sync(() => {
        const out: Array<JournalEntry> = []
        const match = entryMatches(filter)
        for (let i = order.length - 1; i >= 0 && (filter.limit === undefined || out.length < filter.limit); i--) {
          if (match(order[i]!)) out.push(order[i]!)
        }
        return out
      }).pipe(Effect.withSpan("LedgerStore.journal"))
  })
})

export const layer = Layer.effect(LedgerStore, make)
