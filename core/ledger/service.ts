import { Clock, Context, Effect, type Either, Layer, Option } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { normalizeXOnlyPubkey } from "../shared/pubkey.js"
import { randomUuid } from "../shared/random.js"
import { type HoldFilter, type JournalFilter, LedgerStore } from "../../ports/ledger-store.js"
import {
  type AmountOverflow,
  type AssetAlreadyExists,
  AssetNotFound,
  type AssetInactive,
  type HoldConflict,
  HoldNotFound,
  type InsufficientFunds,
  InvalidLedgerInput,
  type SupplyCapExceeded
} from "./errors.js"
import * as Machine from "./machine.js"
import {
  type Asset,
  ASSET_ID_PATTERN,
  availableOf,
  type Balance,
  type Hold,
  type JournalEntry,
  MAX_AMOUNT,
  reservedOf
} from "./model.js"

export interface NewAsset {
  readonly asset_id: string
  readonly name: string
  readonly ticker: string
  readonly asset_type?: string | undefined
  readonly decimal_places?: number | undefined
  readonly total_supply?: bigint | undefined
  readonly is_active?: boolean | undefined
}

/** The result of a movement: the journal entry and whether it was a replay of an earlier one. */
export interface Movement {
  readonly entry: JournalEntry
  readonly replayed: boolean
}

export interface HoldResult {
  readonly hold: Hold
  readonly replayed: boolean
}

export interface AssetStats {
  readonly asset: Asset
  readonly holders: number
  readonly reserved: bigint
  readonly audit: Machine.AssetAudit
}

type Amounts = InvalidLedgerInput | AmountOverflow

/** Assets, balances and holds; every movement is one balanced, idempotent journal entry. */
export class LedgerService extends Context.Tag("relaygate/LedgerService")<
  LedgerService,
  {
    readonly createAsset: (input: NewAsset) => Effect.Effect<Asset, AssetAlreadyExists | InvalidLedgerInput | StoreUnavailable>
    /** Creates the asset unless it exists; returns what is stored either way. */
    readonly ensureAsset: (input: NewAsset) => Effect.Effect<Asset, InvalidLedgerInput | StoreUnavailable>
    readonly getAsset: (assetId: string) => Effect.Effect<Asset, AssetNotFound | StoreUnavailable>
    readonly listAssets: (options: { readonly activeOnly: boolean }) => Effect.Effect<ReadonlyArray<Asset>, StoreUnavailable>
    readonly mint: (input: { readonly asset_id: string; readonly user_pubkey: string; readonly amount: bigint }) => Effect.Effect<
      Movement,
      AssetNotFound | AssetInactive | SupplyCapExceeded | Amounts | StoreUnavailable
    >
    readonly transfer: (input: {
      readonly asset_id: string
      readonly sender_pubkey: string
      readonly recipient_pubkey: string
      readonly amount: bigint
    }) => Effect.Effect<Movement, AssetNotFound | AssetInactive | InsufficientFunds | Amounts | StoreUnavailable>
    /** Credits sats received over Lightning; `key` (the payment hash) makes it happen at most once. */
    readonly lift: (input: {
      readonly key: string
      readonly asset_id: string
      readonly user_pubkey: string
      readonly amount: bigint
    }) => Effect.Effect<Movement, AssetNotFound | Amounts | StoreUnavailable>
    /** Sets `amount` of the owner's available balance aside under `hold_id`; repeating it is a replay. */
    readonly reserve: (input: {
      readonly hold_id: string
      readonly owner: string
      readonly asset_id: string
      readonly amount: bigint
      readonly purpose: string
      readonly reference?: string | null | undefined
    }) => Effect.Effect<HoldResult, AssetNotFound | AssetInactive | InsufficientFunds | HoldConflict | InvalidLedgerInput | StoreUnavailable>
    /** Pays a hold out (to a user, or out over Lightning). Exactly once; never after a release. */
    readonly settle: (
      holdId: string,
      to: Machine.Destination
    ) => Effect.Effect<HoldResult, HoldNotFound | HoldConflict | AssetNotFound | Amounts | StoreUnavailable>
    /** Returns a hold to the owner's available balance. Exactly once; never after a settle. */
    readonly release: (holdId: string, reason: string) => Effect.Effect<HoldResult, HoldNotFound | HoldConflict | AssetNotFound | StoreUnavailable>
    readonly getHold: (holdId: string) => Effect.Effect<Option.Option<Hold>, StoreUnavailable>
    readonly listHolds: (filter: HoldFilter) => Effect.Effect<ReadonlyArray<Hold>, StoreUnavailable>
    /** Every asset the user has a balance in. */
    readonly balances: (userPubkey: string) => Effect.Effect<ReadonlyArray<Balance>, StoreUnavailable>
    /** Zero when the user never held the asset. */
    readonly balance: (userPubkey: string, assetId: string) => Effect.Effect<Balance, AssetNotFound | StoreUnavailable>
    readonly journal: (filter: JournalFilter) => Effect.Effect<ReadonlyArray<JournalEntry>, StoreUnavailable>
    /** Holders, reserved amounts and the invariants of each asset. */
    readonly stats: () => Effect.Effect<ReadonlyArray<AssetStats>, StoreUnavailable>
  }
>() {}

/** Keys are stored as x-only hex, whatever form (hex of either case, npub) they arrived in. */
const canonicalKey = (pubkey: string): Effect.Effect<string, InvalidLedgerInput> => {
  const key = normalizeXOnlyPubkey(pubkey)
  return key === undefined
    ? Effect.fail(new InvalidLedgerInput({ reason: `${pubkey} is not a 64-hex x-only public key or an npub` }))
    : Effect.succeed(key)
}

export const make = Effect.gen(function*() {
  const store = yield* LedgerStore

  const getAsset = Effect.fn("LedgerService.getAsset")(function*(assetId: string) {
    return yield* Option.match(yield* store.getAsset(assetId), {
      onNone: () => Effect.fail(new AssetNotFound({ asset_id: assetId })),
      onSome: Effect.succeed
    })
  })

  /** Decides `command` with its own machine function inside one atomic commit. */
  const run = <C extends Machine.LedgerCommand, E>(
    assetId: string,
    command: C,
    decide: (c: C, s: Machine.LedgerSnapshot, now: number) => Either.Either<Machine.LedgerWrite, E>
  ) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return yield* store.commit(
        {
          entry_id: Machine.entryIdOf(command),
          asset_id: assetId,
          accounts: Machine.accountsOf(command),
          hold_id: Machine.holdIdOf(command)
        },
        (snapshot) => decide(command, snapshot, now)
      )
    })

  /** Settle and release name the hold; its owner and asset decide which rows the commit locks. */
  const loadHold = (holdId: string) =>
    Effect.flatMap(store.getHold(holdId), Option.match({
      onNone: () => Effect.fail(new HoldNotFound({ hold_id: holdId })),
      onSome: Effect.succeed
    }))

  const validAsset = (input: NewAsset): Effect.Effect<Asset, InvalidLedgerInput> =>
    Effect.gen(function*() {
      const fail = (reason: string) => Effect.fail(new InvalidLedgerInput({ reason }))
      if (!ASSET_ID_PATTERN.test(input.asset_id)) return yield* fail("asset_id must be 1-64 letters, digits, '.', '_' or '-'")
      const supply = input.total_supply ?? 0n
      if (supply < 0n || supply > MAX_AMOUNT) return yield* fail("total_supply must be a non-negative safe integer")
      const decimals = input.decimal_places ?? 8
      if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) return yield* fail("decimal_places must be 0..18")
      return {
        asset_id: input.asset_id,
        name: input.name,
        ticker: input.ticker,
        asset_type: input.asset_type ?? "normal",
        decimal_places: decimals,
        total_supply: supply,
        circulating_supply: 0n,
        is_active: input.is_active ?? true,
        created_at: yield* Clock.currentTimeMillis
      }
    })

  const balance = Effect.fn("LedgerService.balance")(function*(userPubkey: string, assetId: string) {
    yield* getAsset(assetId)
    const rows = yield* store.balances({ user_pubkey: userPubkey })
    const of = (account: string) => rows.find((r) => r.asset_id === assetId && r.account === account)?.balance ?? 0n
    return { user_pubkey: userPubkey, asset_id: assetId, available: of(availableOf(userPubkey)), reserved: of(reservedOf(userPubkey)) }
  })

  return LedgerService.of({
    createAsset: Effect.fn("LedgerService.createAsset")(function*(input: NewAsset) {
      const asset = yield* validAsset(input)
      yield* store.insertAsset(asset)
      yield* Effect.logInfo("asset created").pipe(Effect.annotateLogs({ asset_id: asset.asset_id }))
      return asset
    }),

    ensureAsset: Effect.fn("LedgerService.ensureAsset")(function*(input: NewAsset) {
      const existing = yield* store.getAsset(input.asset_id)
      if (Option.isSome(existing)) return existing.value
      const asset = yield* validAsset(input)
      return yield* store.insertAsset(asset).pipe(
        Effect.as(asset),
        Effect.catchTag("AssetAlreadyExists", () => getAsset(input.asset_id).pipe(Effect.orDie))
      )
    }),

    getAsset,

    listAssets: Effect.fn("LedgerService.listAssets")(function*(options: { readonly activeOnly: boolean }) {
      const all = yield* store.listAssets()
      return options.activeOnly ? all.filter((a) => a.is_active) : all
    }),

    mint: Effect.fn("LedgerService.mint")(function*(input) {
      const user = yield* canonicalKey(input.user_pubkey)
      const movement = yield* run(input.asset_id, { _tag: "Mint", entry_id: `mint:${yield* randomUuid}`, user, amount: input.amount }, Machine.mint)
      yield* Effect.logInfo("minted").pipe(Effect.annotateLogs({ asset_id: input.asset_id, user, amount: String(input.amount) }))
      return { entry: movement.entry, replayed: movement.replayed }
    }),

    transfer: Effect.fn("LedgerService.transfer")(function*(input) {
      const from = yield* canonicalKey(input.sender_pubkey)
      const to = yield* canonicalKey(input.recipient_pubkey)
      const movement = yield* run(
        input.asset_id,
        { _tag: "Transfer", entry_id: `transfer:${yield* randomUuid}`, from, to, amount: input.amount },
        Machine.transfer
      )
      return { entry: movement.entry, replayed: movement.replayed }
    }),

    lift: Effect.fn("LedgerService.lift")(function*(input) {
      const user = yield* canonicalKey(input.user_pubkey)
      const movement = yield* run(input.asset_id, {
        _tag: "Lift",
        entry_id: `lift:${input.key}`,
        user,
        amount: input.amount,
        reference: input.key
      }, Machine.lift)
      return { entry: movement.entry, replayed: movement.replayed }
    }),

    reserve: Effect.fn("LedgerService.reserve")(function*(input) {
      const owner = yield* canonicalKey(input.owner)
      const done = yield* run(input.asset_id, {
        _tag: "Reserve",
        hold_id: input.hold_id,
        owner,
        amount: input.amount,
        purpose: input.purpose,
        reference: input.reference ?? null
      }, Machine.reserve)
      return { hold: Option.getOrThrow(done.hold), replayed: done.replayed }
    }),

    settle: Effect.fn("LedgerService.settle")(function*(holdId: string, to: Machine.Destination) {
      const destination = "user" in to ? { user: yield* canonicalKey(to.user) } : to
      const hold = yield* loadHold(holdId)
      const done = yield* run(hold.asset_id, { _tag: "Settle", hold_id: holdId, owner: hold.owner, to: destination }, Machine.settle)
      return { hold: Option.getOrElse(done.hold, () => hold), replayed: done.replayed }
    }),

    release: Effect.fn("LedgerService.release")(function*(holdId: string, reason: string) {
      const hold = yield* loadHold(holdId)
      const done = yield* run(hold.asset_id, { _tag: "Release", hold_id: holdId, owner: hold.owner, reason }, Machine.release)
      return { hold: Option.getOrElse(done.hold, () => hold), replayed: done.replayed }
    }),

    getHold: Effect.fn("LedgerService.getHold")(function*(holdId: string) {
      return yield* store.getHold(holdId)
    }),

    listHolds: Effect.fn("LedgerService.listHolds")(function*(filter: HoldFilter) {
      return yield* store.listHolds(filter)
    }),

    balances: Effect.fn("LedgerService.balances")(function*(userPubkey: string) {
      const rows = yield* store.balances({ user_pubkey: userPubkey })
      const byAsset = new Map<string, { available: bigint; reserved: bigint }>()
      for (const r of rows) {
        const b = byAsset.get(r.asset_id) ?? { available: 0n, reserved: 0n }
        if (r.account === availableOf(userPubkey)) b.available += r.balance
        else b.reserved += r.balance
        byAsset.set(r.asset_id, b)
      }
      return Array.from(byAsset, ([asset_id, b]) => ({ user_pubkey: userPubkey, asset_id, ...b }))
        .sort((a, b) => (a.asset_id < b.asset_id ? -1 : 1))
    }),

    balance,

    journal: Effect.fn("LedgerService.journal")(function*(filter: JournalFilter) {
      return yield* store.journal(filter)
    }),

    stats: Effect.fn("LedgerService.stats")(function*() {
      const assets = yield* store.listAssets()
      return yield* Effect.forEach(assets, (asset) =>
        Effect.map(store.balances({ asset_id: asset.asset_id }), (rows) => {
          const holders = new Set<string>()
          let reserved = 0n
          for (const r of rows) {
            const m = /^user:(.+):(available|reserved)$/.exec(r.account)
            if (m === null) continue
            if (r.balance > 0n) holders.add(m[1]!)
            if (m[2] === "reserved") reserved += r.balance
          }
          return {
            asset,
            holders: holders.size,
            reserved,
            audit: Machine.audit(asset, rows.map((r) => [r.account, r.balance] as const))
          }
        }))
    })
  })
})

export const layer = Layer.effect(LedgerService, make)
