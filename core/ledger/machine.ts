import { Either, Option } from "effect"
import {
  AmountOverflow,
  AssetInactive,
  HoldConflict,
  HoldNotFound,
  InsufficientFunds,
  InvalidLedgerInput,
  type LedgerError,
  SupplyCapExceeded
} from "./errors.js"
import {
  type AccountKey,
  type Asset,
  availableOf,
  type EntryKind,
  type Hold,
  holdEntryId,
  ISSUANCE,
  isUserAccount,
  type JournalEntry,
  LIGHTNING,
  MAX_AMOUNT,
  type Posting,
  reservedOf
} from "./model.js"

/** Where a settled hold goes: another user's available balance, or out over Lightning. */
export type Destination = { readonly user: string } | { readonly external: "lightning" }

export type LedgerCommand =
  | { readonly _tag: "Mint"; readonly entry_id: string; readonly user: string; readonly amount: bigint }
  | { readonly _tag: "Transfer"; readonly entry_id: string; readonly from: string; readonly to: string; readonly amount: bigint }
  /** Sats received over Lightning become the user's balance. */
  | { readonly _tag: "Lift"; readonly entry_id: string; readonly user: string; readonly amount: bigint; readonly reference: string }
  | {
    readonly _tag: "Reserve"
    readonly hold_id: string
    readonly owner: string
    readonly amount: bigint
    readonly purpose: string
    readonly reference: string | null
  }
  | { readonly _tag: "Settle"; readonly hold_id: string; readonly owner: string; readonly to: Destination }
  | { readonly _tag: "Release"; readonly hold_id: string; readonly owner: string; readonly reason: string }

/** What the store hands a decision: the asset and the accounts it locked, and the hold when the command names one. */
export interface LedgerSnapshot {
  readonly asset: Asset
  readonly accounts: ReadonlyMap<AccountKey, bigint>
  readonly hold: Option.Option<Hold>
}

/** What the store writes atomically: the entry (its postings applied to the balances), the asset, the hold. */
export interface LedgerWrite {
  readonly entry: JournalEntry
  readonly asset: Asset
  readonly hold: Option.Option<Hold>
}

export const destinationAccount = (to: Destination): AccountKey => ("user" in to ? availableOf(to.user) : LIGHTNING)

export const entryIdOf = (c: LedgerCommand): string => {
  switch (c._tag) {
    case "Reserve":
      return holdEntryId(c.hold_id, "reserve")
    case "Settle":
      return holdEntryId(c.hold_id, "settle")
    case "Release":
      return holdEntryId(c.hold_id, "release")
    default:
      return c.entry_id
  }
}

export const holdIdOf = (c: LedgerCommand): string | undefined =>
  c._tag === "Reserve" || c._tag === "Settle" || c._tag === "Release" ? c.hold_id : undefined

/** The accounts a command touches: the store locks exactly these. */
export const accountsOf = (c: LedgerCommand): ReadonlyArray<AccountKey> => {
  switch (c._tag) {
    case "Mint":
      return [ISSUANCE, availableOf(c.user)]
    case "Lift":
      return [LIGHTNING, availableOf(c.user)]
    case "Transfer":
      return [availableOf(c.from), reservedOf(c.to), availableOf(c.to)]
    case "Reserve":
      return [availableOf(c.owner), reservedOf(c.owner)]
    case "Settle":
      return "user" in c.to
        ? [reservedOf(c.owner), availableOf(c.to.user), reservedOf(c.to.user)]
        : [reservedOf(c.owner), LIGHTNING]
    case "Release":
      return [availableOf(c.owner), reservedOf(c.owner)]
  }
}

const balanceOf = (s: LedgerSnapshot, k: AccountKey): bigint => s.accounts.get(k) ?? 0n

/** A user's whole position (available + reserved) in the snapshot, for overflow checks. */
const positionOf = (s: LedgerSnapshot, owner: string): bigint =>
  balanceOf(s, availableOf(owner)) + balanceOf(s, reservedOf(owner))

const positive = (amount: bigint): Either.Either<bigint, InvalidLedgerInput> =>
  amount <= 0n
    ? Either.left(new InvalidLedgerInput({ reason: `amount must be a positive integer, got ${amount}` }))
    : amount > MAX_AMOUNT
    ? Either.left(new InvalidLedgerInput({ reason: `amount must be at most ${MAX_AMOUNT}, got ${amount}` }))
    : Either.right(amount)

const active = (s: LedgerSnapshot): Either.Either<void, AssetInactive> =>
  s.asset.is_active ? Either.void : Either.left(new AssetInactive({ asset_id: s.asset.asset_id }))

const fitsIn = (s: LedgerSnapshot, account: AccountKey, value: bigint): Either.Either<void, AmountOverflow> =>
  value > MAX_AMOUNT ? Either.left(new AmountOverflow({ asset_id: s.asset.asset_id, account })) : Either.void

const entry = (
  s: LedgerSnapshot,
  entry_id: string,
  kind: EntryKind,
  postings: ReadonlyArray<Posting>,
  reference: string | null,
  now: number
): JournalEntry => ({ entry_id, kind, asset_id: s.asset.asset_id, postings, reference, created_at: now })

const spendable = (s: LedgerSnapshot, owner: string, amount: bigint): Either.Either<void, InsufficientFunds> => {
  const available = balanceOf(s, availableOf(owner))
  return available >= amount ? Either.void : Either.left(
    new InsufficientFunds({ user_pubkey: owner, asset_id: s.asset.asset_id, available: Number(available), requested: Number(amount) })
  )
}

const withinCap = (s: LedgerSnapshot, amount: bigint): Either.Either<void, SupplyCapExceeded> =>
  s.asset.total_supply > 0n && s.asset.circulating_supply + amount > s.asset.total_supply
    ? Either.left(
      new SupplyCapExceeded({
        asset_id: s.asset.asset_id,
        total_supply: Number(s.asset.total_supply),
        circulating_supply: Number(s.asset.circulating_supply),
        requested: Number(amount)
      })
    )
    : Either.void

/** New supply (mint or lift): no balance and no total past 2^53 − 1. */
const issue = (s: LedgerSnapshot, user: string, amount: bigint) =>
  Either.gen(function*() {
    const circulating = s.asset.circulating_supply + amount
    yield* fitsIn(s, "circulating_supply", circulating)
    yield* fitsIn(s, availableOf(user), positionOf(s, user) + amount)
    return { ...s.asset, circulating_supply: circulating }
  })

const openHold = (s: LedgerSnapshot, holdId: string, owner: string, action: string): Either.Either<Hold, HoldNotFound | HoldConflict> =>
  Option.match(s.hold, {
    onNone: () => Either.left(new HoldNotFound({ hold_id: holdId })),
    onSome: (h) =>
      h.owner !== owner
        ? Either.left(new HoldNotFound({ hold_id: holdId }))
        : h.status !== "held"
        ? Either.left(new HoldConflict({ hold_id: holdId, status: h.status, action }))
        : Either.right(h)
  })

type Cmd<T extends LedgerCommand["_tag"]> = Extract<LedgerCommand, { readonly _tag: T }>

export const mint = (c: Cmd<"Mint">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const amount = yield* positive(c.amount)
    yield* active(s)
    yield* withinCap(s, amount)
    const asset = yield* issue(s, c.user, amount)
    const postings = [{ account: ISSUANCE, amount: -amount }, { account: availableOf(c.user), amount }]
    return { entry: entry(s, c.entry_id, "mint", postings, null, now), asset, hold: Option.none<Hold>() }
  })

export const lift = (c: Cmd<"Lift">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const amount = yield* positive(c.amount)
    // The sats were already received: a lift is credited even past the cap or
    // on a deactivated asset (the cap is checked when the invoice is made).
    const asset = yield* issue(s, c.user, amount)
    const postings = [{ account: LIGHTNING, amount: -amount }, { account: availableOf(c.user), amount }]
    return { entry: entry(s, c.entry_id, "lift", postings, c.reference, now), asset, hold: Option.none<Hold>() }
  })

export const transfer = (c: Cmd<"Transfer">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const amount = yield* positive(c.amount)
    if (c.from === c.to) return yield* Either.left(new InvalidLedgerInput({ reason: "sender and recipient must differ" }))
    yield* active(s)
    yield* spendable(s, c.from, amount)
    yield* fitsIn(s, availableOf(c.to), positionOf(s, c.to) + amount)
    const postings = [{ account: availableOf(c.from), amount: -amount }, { account: availableOf(c.to), amount }]
    return { entry: entry(s, c.entry_id, "transfer", postings, null, now), asset: s.asset, hold: Option.none<Hold>() }
  })

export const reserve = (c: Cmd<"Reserve">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const amount = yield* positive(c.amount)
    if (Option.isSome(s.hold)) {
      return yield* Either.left(new HoldConflict({ hold_id: c.hold_id, status: s.hold.value.status, action: "reserve" }))
    }
    yield* active(s)
    yield* spendable(s, c.owner, amount)
    const hold: Hold = {
      hold_id: c.hold_id,
      owner: c.owner,
      asset_id: s.asset.asset_id,
      amount,
      status: "held",
      purpose: c.purpose,
      reference: c.reference,
      created_at: now,
      closed_at: null,
      destination: null,
      reason: null
    }
    const postings = [{ account: availableOf(c.owner), amount: -amount }, { account: reservedOf(c.owner), amount }]
    return { entry: entry(s, entryIdOf(c), "reserve", postings, c.hold_id, now), asset: s.asset, hold: Option.some(hold) }
  })

export const settle = (c: Cmd<"Settle">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const h = yield* openHold(s, c.hold_id, c.owner, "settle")
    const to = destinationAccount(c.to)
    if ("user" in c.to) yield* fitsIn(s, to, positionOf(s, c.to.user) + h.amount)
    // Paid out over Lightning, the sats leave the gateway's books: supply shrinks.
    const asset = "user" in c.to ? s.asset : { ...s.asset, circulating_supply: s.asset.circulating_supply - h.amount }
    const postings = [{ account: reservedOf(h.owner), amount: -h.amount }, { account: to, amount: h.amount }]
    return {
      entry: entry(s, entryIdOf(c), "settle", postings, c.hold_id, now),
      asset,
      hold: Option.some<Hold>({ ...h, status: "settled", closed_at: now, destination: to })
    }
  })

export const release = (c: Cmd<"Release">, s: LedgerSnapshot, now: number) =>
  Either.gen(function*() {
    const h = yield* openHold(s, c.hold_id, c.owner, "release")
    const postings = [{ account: reservedOf(h.owner), amount: -h.amount }, { account: availableOf(h.owner), amount: h.amount }]
    return {
      entry: entry(s, entryIdOf(c), "release", postings, c.hold_id, now),
      asset: s.asset,
      hold: Option.some<Hold>({ ...h, status: "released", closed_at: now, reason: c.reason })
    }
  })

/**
 * The one decision of the ledger: given a command and the state it touches,
 * the journal entry to write (postings summing to zero), the asset's new
 * supply and the hold's new state — or why nothing may change. Replays are
 * not seen here: the store answers a known entry id before deciding.
 */
export const decide = (c: LedgerCommand, s: LedgerSnapshot, now: number): Either.Either<LedgerWrite, LedgerError> => {
  switch (c._tag) {
    case "Mint":
      return mint(c, s, now)
    case "Lift":
      return lift(c, s, now)
    case "Transfer":
      return transfer(c, s, now)
    case "Reserve":
      return reserve(c, s, now)
    case "Settle":
      return settle(c, s, now)
    case "Release":
      return release(c, s, now)
  }
}

/** Balances after applying postings, as the store does; also what property tests replay the journal with. */
export const applyPostings = (
  balances: ReadonlyMap<AccountKey, bigint>,
  postings: ReadonlyArray<Posting>
): Map<AccountKey, bigint> => {
  const next = new Map(balances)
  for (const p of postings) next.set(p.account, (next.get(p.account) ?? 0n) + p.amount)
  return next
}

export interface AssetAudit {
  readonly asset_id: string
  /** Σ of every account; zero when every entry balanced. */
  readonly journal_sum: bigint
  /** Σ of the users' accounts. */
  readonly user_total: bigint
  readonly circulating_supply: bigint
  /** Accounts below zero that must never be (user accounts). */
  readonly negative_accounts: ReadonlyArray<AccountKey>
  readonly balanced: boolean
}

/**
 * The invariants: the journal sums to zero, the users hold exactly the
 * circulating supply (minted + lifted − landed), and no user account is
 * negative.
 */
export const audit = (asset: Asset, accounts: ReadonlyArray<readonly [AccountKey, bigint]>): AssetAudit => {
  let sum = 0n
  let users = 0n
  const negative: Array<AccountKey> = []
  for (const [k, v] of accounts) {
    sum += v
    if (isUserAccount(k)) {
      users += v
      if (v < 0n) negative.push(k)
    }
  }
  return {
    asset_id: asset.asset_id,
    journal_sum: sum,
    user_total: users,
    circulating_supply: asset.circulating_supply,
    negative_accounts: negative,
    balanced: sum === 0n && users === asset.circulating_supply && negative.length === 0
  }
}
