import { SqlClient } from "@effect/sql"
import { Data, Effect, Either, Layer, Option } from "effect"
import { AssetAlreadyExists, AssetNotFound } from "../../core/ledger/errors.js"
import type { LedgerSnapshot, LedgerWrite } from "../../core/ledger/machine.js"
import { type AccountKey, Asset, Hold, JournalEntry, parseAccount } from "../../core/ledger/model.js"
import {
  type AccountBalance,
  type CommitRequest,
  type Committed,
  type HoldFilter,
  type JournalFilter,
  LedgerStore
} from "../../ports/ledger-store.js"
import { isDuplicateKey, jsonColumn, storeOps, toBigInt } from "./sql.js"

const assetBody = jsonColumn(Asset)
const entryBody = jsonColumn(JournalEntry)
const holdBody = jsonColumn(Hold)

const userOf = (account: AccountKey): string | null => {
  const parsed = parseAccount(account)
  return parsed.kind === "user" ? parsed.owner : null
}

/** The same entry id was committed concurrently under another asset's lock; the retry answers it as a replay. */
class EntryRace extends Data.TaggedError("EntryRace") {}

/**
 * The ledger in MariaDB: balances as rows per (asset, account), the journal
 * with its postings, holds, assets. `commit` is one transaction: the asset
 * row is locked first (`FOR UPDATE`; every commit of an asset queues on it,
 * which also orders the journal), then the entry id is looked up, the named
 * accounts and hold are locked and read, the pure decision runs, and the
 * entry, postings, balances, asset and hold are written — or, on a rejected
 * decision, nothing. The unique key on the entry id is the idempotency
 * guarantee across assets and processes.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "LedgerStore")
  const run = ops.run("commit")

  const readHold = (holdId: string | undefined, lock: boolean) =>
    holdId === undefined
      ? Effect.succeed(Option.none<Hold>())
      : (lock
        ? sql<{ body: unknown }>`SELECT body FROM ledger_holds WHERE hold_id = ${holdId} FOR UPDATE`
        : sql<{ body: unknown }>`SELECT body FROM ledger_holds WHERE hold_id = ${holdId}`).pipe(
          Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(holdBody.decode(rows[0]!.body)))
        )

  const writeHold = (hold: Hold) =>
    sql`INSERT INTO ledger_holds ${
      sql.insert({
        hold_id: hold.hold_id,
        asset_id: hold.asset_id,
        owner: hold.owner,
        status: hold.status,
        purpose: hold.purpose,
        body: holdBody.encode(hold)
      })
    } ON DUPLICATE KEY UPDATE status = VALUES(status), body = VALUES(body)`

  const attempt = <E>(request: CommitRequest, decide: (snapshot: LedgerSnapshot) => Either.Either<LedgerWrite, E>) =>
    ops.transaction(
      "commit",
      Effect.gen(function*() {
        const assetRows = yield* sql<{ body: unknown }>`SELECT body FROM ledger_assets WHERE asset_id = ${request.asset_id} FOR UPDATE`
          .pipe(run)
        // Read after the asset lock is granted, so an entry committed by the previous holder is seen.
        const known = yield* sql<{ body: unknown }>`SELECT body FROM ledger_journal WHERE entry_id = ${request.entry_id}`.pipe(run)
        if (known.length > 0) {
          const entry = yield* entryBody.decode(known[0]!.body).pipe(run)
          return { entry, replayed: true, hold: yield* readHold(request.hold_id, false).pipe(run) } satisfies Committed
        }
        if (assetRows.length === 0) return yield* new AssetNotFound({ asset_id: request.asset_id })
        const asset = yield* assetBody.decode(assetRows[0]!.body).pipe(run)
        const accounts = Array.from(new Set(request.accounts)).sort()
        const balanceRows = accounts.length === 0 ? [] : yield* sql<{ account: string; balance: unknown }>`
          SELECT account, balance FROM ledger_balances
          WHERE asset_id = ${request.asset_id} AND ${sql.in("account", accounts)} ORDER BY account FOR UPDATE`.pipe(run)
        const held = new Map(balanceRows.map((r) => [r.account, toBigInt(r.balance)]))
        const hold = yield* readHold(request.hold_id, true).pipe(run)
        const snapshot: LedgerSnapshot = { asset, accounts: new Map(request.accounts.map((k) => [k, held.get(k) ?? 0n])), hold }
        const write = yield* Either.match(decide(snapshot), { onLeft: Effect.fail, onRight: Effect.succeed })

        const entry: JournalEntry = { ...write.entry, entry_id: request.entry_id }
        // The machine only produces balanced entries; an unbalanced one is a bug that must not reach the books.
        if (entry.postings.reduce((sum, p) => sum + p.amount, 0n) !== 0n) {
          return yield* Effect.dieMessage(`unbalanced journal entry ${entry.entry_id}`)
        }
        const inserted = yield* sql`INSERT INTO ledger_journal ${
          sql.insert({ entry_id: entry.entry_id, asset_id: entry.asset_id, created_at: entry.created_at, body: entryBody.encode(entry) })
        }`.raw.pipe(
          Effect.catchIf(isDuplicateKey, () => Effect.fail(new EntryRace())),
          Effect.catchTag("SqlError", (e) => Effect.fail(ops.fail("commit")(e)))
        )
        const seq = (inserted as { readonly insertId: number }).insertId
        if (entry.postings.length > 0) {
          yield* sql`INSERT INTO ledger_postings ${
            sql.insert(entry.postings.map((p, position) => ({
              entry_seq: seq,
              position,
              account: p.account,
              user_pubkey: userOf(p.account),
              amount: p.amount
            })))
          }`.pipe(run)
          yield* Effect.forEach(entry.postings, (p) =>
            sql`INSERT INTO ledger_balances ${
              sql.insert({ asset_id: entry.asset_id, account: p.account, user_pubkey: userOf(p.account), balance: p.amount })
            } ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance)`.pipe(run), { discard: true })
        }
        yield* sql`UPDATE ledger_assets SET body = ${assetBody.encode(write.asset)} WHERE asset_id = ${write.asset.asset_id}`.pipe(run)
        if (Option.isSome(write.hold)) yield* writeHold(write.hold.value).pipe(run)
        return { entry, replayed: false, hold: write.hold } satisfies Committed
      })
    )

  return LedgerStore.of({
    insertAsset: (asset) =>
      sql`INSERT INTO ledger_assets ${sql.insert({ asset_id: asset.asset_id, body: assetBody.encode(asset) })}`.pipe(
        Effect.asVoid,
        Effect.catchIf(isDuplicateKey, () => Effect.fail(new AssetAlreadyExists({ asset_id: asset.asset_id }))),
        Effect.catchTag("SqlError", (e) => Effect.fail(ops.fail("insertAsset")(e))),
        Effect.withSpan("LedgerStore.insertAsset")
      ),

    getAsset: (assetId) =>
      sql<{ body: unknown }>`SELECT body FROM ledger_assets WHERE asset_id = ${assetId}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(assetBody.decode(rows[0]!.body))),
        ops.run("getAsset")
      ),

    listAssets: () =>
      sql<{ body: unknown }>`SELECT body FROM ledger_assets ORDER BY seq`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => assetBody.decode(r.body))),
        ops.run("listAssets")
      ),

    commit: <E>(request: CommitRequest, decide: (snapshot: LedgerSnapshot) => Either.Either<LedgerWrite, E>) =>
      attempt(request, decide).pipe(
        Effect.catchIf((e): e is EntryRace => e instanceof EntryRace, () => attempt(request, decide)),
        Effect.catchIf((e): e is EntryRace => e instanceof EntryRace, (e) => Effect.fail(ops.fail("commit")(e))),
        Effect.withSpan("LedgerStore.commit", { attributes: { entry_id: request.entry_id } })
      ),

    getHold: (holdId) => readHold(holdId, false).pipe(ops.run("getHold")),

    listHolds: (filter: HoldFilter) =>
      sql<{ body: unknown }>`SELECT body FROM ledger_holds WHERE ${
        sql.and([
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
          ...(filter.owner === undefined ? [] : [sql`owner = ${filter.owner}`]),
          ...(filter.purpose === undefined ? [] : [sql`purpose = ${filter.purpose}`])
        ])
      } ORDER BY seq`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => holdBody.decode(r.body))),
        ops.run("listHolds")
      ),

    balances: (filter) =>
      ("user_pubkey" in filter
        ? sql<{ asset_id: string; account: string; balance: unknown }>`SELECT asset_id, account, balance FROM ledger_balances
            WHERE user_pubkey = ${filter.user_pubkey} AND balance <> 0 ORDER BY asset_id, account`
        : sql<{ asset_id: string; account: string; balance: unknown }>`SELECT asset_id, account, balance FROM ledger_balances
            WHERE asset_id = ${filter.asset_id} AND balance <> 0 ORDER BY account`).pipe(
          Effect.map((rows) =>
            rows.map((r): AccountBalance => ({ asset_id: r.asset_id, account: r.account, balance: toBigInt(r.balance) }))
          ),
          ops.run("balances")
        ),

    journal: (filter: JournalFilter) =>
      sql<{ body: unknown }>`SELECT j.body FROM ledger_journal j WHERE ${
        sql.and([
          ...(filter.asset_id === undefined ? [] : [sql`j.asset_id = ${filter.asset_id}`]),
          ...(filter.user_pubkey === undefined
            ? []
            : [sql`EXISTS (SELECT 1 FROM ledger_postings p WHERE p.entry_seq = j.seq AND p.user_pubkey = ${filter.user_pubkey})`])
        ])
      } ORDER BY j.seq DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => entryBody.decode(r.body))),
        ops.run("journal")
      )
  })
})

export const layer = Layer.effect(LedgerStore, make)
