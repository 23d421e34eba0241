import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Logger, LogLevel, ManagedRuntime, Option, Scheduler, type Scope } from "effect"
import fc from "fast-check"
import * as GatewayKey from "../../../adapters/crypto/gateway-signer.js"
import * as SimulatedArkd from "../../../adapters/memory/ark-server.js"
import * as MemoryInvoices from "../../../adapters/memory/invoice-store.js"
import * as MemoryLedger from "../../../adapters/memory/ledger-store.js"
import * as SimulatedLnd from "../../../adapters/memory/lightning.js"
import * as MemoryVtxos from "../../../adapters/memory/vtxo-store.js"
import * as Machine from "../../../core/ledger/machine.js"
import { type AccountKey, availableOf, BTC, MAX_AMOUNT, reservedOf } from "../../../core/ledger/model.js"
import { LedgerService } from "../../../core/ledger/service.js"
import { LightningService } from "../../../core/lightning/service.js"
import * as LightningServiceLayer from "../../../core/lightning/service.js"
import * as LedgerServiceLayer from "../../../core/ledger/service.js"
import { VtxoService } from "../../../core/vtxo/service.js"
import * as VtxoServiceLayer from "../../../core/vtxo/service.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"
import { LedgerStore } from "../../../ports/ledger-store.js"
import { walletInvoice } from "../../support/lightning.js"

/**
 * Every money path against one set of books, in random orders: ledger
 * movements, holds as the ceremony uses them, lifts (with settlements replayed
 * and raced by the subscription), lands that succeed or fail, and VTXO
 * assignment and spending. Run one at a time they must agree with a trivial
 * model; run concurrently they must keep the invariants.
 */

const USERS = ["aa".repeat(32), "bb".repeat(32), "cc".repeat(32)] as const
const HOLDS = ["h0", "h1"] as const
const INVENTORY = [1_000n, 1_000n, 5_000n, 5_000n, 20_000n] as const
const TXIDS = ["01".repeat(32), "02".repeat(32)] as const
const SEED = 5_000n

type Op =
  | { t: "mint"; u: number; amt: bigint }
  | { t: "transfer"; from: number; to: number; amt: bigint }
  | { t: "reserve"; h: number; u: number; amt: bigint }
  | { t: "release"; h: number }
  | { t: "settle"; h: number; to: number }
  | { t: "lift"; u: number; amt: bigint }
  | { t: "payLift"; i: number }
  | { t: "replay"; i: number }
  | { t: "land"; u: number; amt: bigint }
  | { t: "payLand"; i: number; ok: boolean }
  | { t: "assign"; u: number; amt: bigint }
  | { t: "spend"; v: number; tx: number }

const u = fc.nat(USERS.length - 1)
const amt = fc.oneof({ arbitrary: fc.bigInt({ min: 1n, max: 3_000n }), weight: 9 }, fc.constantFrom(0n, -5n, MAX_AMOUNT + 1n))
const goodAmt = fc.bigInt({ min: 1n, max: 3_000n })
const idx = fc.nat(20)
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant("mint" as const), u, amt }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("transfer" as const), from: u, to: u, amt }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("reserve" as const), h: fc.nat(HOLDS.length - 1), u, amt }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("release" as const), h: fc.nat(HOLDS.length - 1) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("settle" as const), h: fc.nat(HOLDS.length - 1), to: u }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("lift" as const), u, amt: goodAmt }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("payLift" as const), i: idx }), weight: 2 },
  fc.record({ t: fc.constant("replay" as const), i: idx }),
  { arbitrary: fc.record({ t: fc.constant("land" as const), u, amt: goodAmt }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("payLand" as const), i: idx, ok: fc.boolean() }), weight: 2 },
  fc.record({ t: fc.constant("assign" as const), u, amt: fc.bigInt({ min: 1n, max: 25_000n }) }),
  fc.record({ t: fc.constant("spend" as const), v: fc.nat(INVENTORY.length - 1), tx: fc.nat(1) })
)

/**
 * arkd and the gateway key outlive the runs; each run gets fresh books, its
 * own lnd (so its subscription replays only its own settlements) and services.
 */
const Daemons = ManagedRuntime.make(
  Layer.mergeAll(SimulatedArkd.layer({ dust: 1n }), Layer.effect(GatewaySigner, Effect.flatMap(GatewayKey.generatePrivateKey(), GatewayKey.make)))
)
afterAll(() => Daemons.dispose())

const Env = Layer.unwrapEffect(
  Effect.promise(() => Daemons.runtime()).pipe(
    Effect.map((rt) =>
      Layer.mergeAll(
        VtxoServiceLayer.layer({ expirationMs: 86_400_000, minAmountSats: 1n }),
        LightningServiceLayer.layer({ network: "regtest", invoiceExpirySeconds: 3600, paymentTimeoutSeconds: 5 })
      ).pipe(
        Layer.provideMerge(LedgerServiceLayer.layer),
        Layer.provideMerge(Layer.mergeAll(MemoryLedger.layer, MemoryVtxos.layer, MemoryInvoices.layer, SimulatedLnd.layer())),
        Layer.provideMerge(Layer.succeedContext(rt.context))
      )
    )
  )
)

interface World {
  readonly lifts: Array<{ hash: string; request: string; user: string; amount: bigint }>
  readonly lands: Array<{ hash: string; user: string; amount: bigint }>
  readonly vtxos: ReadonlyArray<string>
  readonly assigned: Array<string>
}

/** Runs one op against the services; the outcome is Right when the services accepted it. */
const run = (o: Op, w: World) =>
  Effect.gen(function*() {
    const ledger = yield* LedgerService
    const vtxos = yield* VtxoService
    const lightning = yield* LightningService
    const lnd = yield* SimulatedLnd.LightningSimulator
    switch (o.t) {
      case "mint":
        return yield* ledger.mint({ asset_id: "BTC", user_pubkey: USERS[o.u]!, amount: o.amt })
      case "transfer":
        return yield* ledger.transfer({ asset_id: "BTC", sender_pubkey: USERS[o.from]!, recipient_pubkey: USERS[o.to]!, amount: o.amt })
      case "reserve":
        return yield* ledger.reserve({ hold_id: HOLDS[o.h]!, owner: USERS[o.u]!, asset_id: "BTC", amount: o.amt, purpose: "ceremony" })
          .pipe(Effect.flatMap((r) => (r.replayed ? Effect.fail("replayed" as const) : Effect.succeed(r))))
      case "release":
        return yield* ledger.release(HOLDS[o.h]!, "test").pipe(Effect.flatMap((r) => (r.replayed ? Effect.fail("replayed" as const) : Effect.succeed(r))))
      case "settle":
        return yield* ledger.settle(HOLDS[o.h]!, { user: USERS[o.to]! })
          .pipe(Effect.flatMap((r) => (r.replayed ? Effect.fail("replayed" as const) : Effect.succeed(r))))
      case "lift": {
        const inv = yield* lightning.lift({ user_pubkey: USERS[o.u]!, asset_id: "BTC", amount_sats: o.amt })
        w.lifts.push({ hash: inv.payment_hash, request: inv.bolt11_invoice, user: inv.user_pubkey, amount: inv.amount_sats })
        return inv
      }
      case "payLift": {
        const l = w.lifts[o.i % Math.max(1, w.lifts.length)]
        if (l === undefined) return yield* Effect.fail("no lift" as const)
        const settled = yield* lnd.payInvoice(l.request)
        // The subscription handles it too; racing it, this call must not credit a second time.
        const outcome = yield* lightning.onSettled(settled)
        return outcome === "credited" ? outcome : yield* Effect.fail(outcome)
      }
      case "replay": {
        const l = w.lifts[o.i % Math.max(1, w.lifts.length)]
        if (l === undefined) return yield* Effect.fail("no lift" as const)
        yield* lnd.replaySettlement(l.hash)
        const inv = yield* lnd.payInvoice(l.hash)
        const outcome = yield* lightning.onSettled(inv)
        return yield* Effect.fail(outcome)
      }
      case "land": {
        const invoice = walletInvoice({ sats: Number(o.amt) })
        const rec = yield* lightning.land({ user_pubkey: USERS[o.u]!, asset_id: "BTC", amount_sats: o.amt, lightning_invoice: invoice.paymentRequest })
        w.lands.push({ hash: rec.payment_hash, user: rec.user_pubkey, amount: rec.amount_sats })
        return rec
      }
      case "payLand": {
        const l = w.lands[o.i % Math.max(1, w.lands.length)]
        if (l === undefined) return yield* Effect.fail("no land" as const)
        yield* lnd.setPaymentBehaviour(o.ok ? "succeed" : "fail")
        return yield* lightning.pay(l.hash)
      }
      case "assign": {
        const v = yield* vtxos.assign({ user_pubkey: USERS[o.u]!, asset_id: "BTC", amount_needed: o.amt })
        w.assigned.push(v.vtxo_id)
        return v
      }
      case "spend":
        return yield* vtxos.markSpent({ vtxo_id: w.vtxos[o.v]!, spending_txid: TXIDS[o.tx]! })
    }
  }).pipe(Effect.either)

/** The reference: balances, holds, invoices and VTXOs, as plainly as possible. */
interface Model {
  avail: Map<string, bigint>
  res: Map<string, bigint>
  supply: bigint
  holds: Map<string, { owner: string; amount: bigint; open: boolean }>
  lifts: Array<{ user: string; amount: bigint; paid: boolean }>
  lands: Array<{ user: string; amount: bigint; status: "pending" | "paid" | "failed" }>
  vtxos: Array<{ amount: bigint; status: "available" | "assigned" | "spent"; txid: string | null }>
}

const get = (m: Map<string, bigint>, k: string) => m.get(k) ?? 0n
const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, get(m, k) + v)
const valid = (a: bigint) => a > 0n && a <= MAX_AMOUNT

const modelStep = (m: Model, o: Op, ids: ReadonlyArray<string>, assignedId: string | undefined): boolean => {
  switch (o.t) {
    case "mint":
      if (!valid(o.amt)) return false
      add(m.avail, USERS[o.u]!, o.amt)
      m.supply += o.amt
      return true
    case "transfer": {
      const [a, b] = [USERS[o.from]!, USERS[o.to]!]
      if (!valid(o.amt) || a === b || get(m.avail, a) < o.amt) return false
      add(m.avail, a, -o.amt)
      add(m.avail, b, o.amt)
      return true
    }
    case "reserve": {
      const owner = USERS[o.u]!
      if (!valid(o.amt) || m.holds.has(HOLDS[o.h]!) || get(m.avail, owner) < o.amt) return false
      add(m.avail, owner, -o.amt)
      add(m.res, owner, o.amt)
      m.holds.set(HOLDS[o.h]!, { owner, amount: o.amt, open: true })
      return true
    }
    case "release":
    case "settle": {
      const h = m.holds.get(HOLDS[o.h]!)
      if (h === undefined || !h.open) return false
      h.open = false
      add(m.res, h.owner, -h.amount)
      add(m.avail, o.t === "release" ? h.owner : USERS[o.to]!, h.amount)
      return true
    }
    case "lift":
      m.lifts.push({ user: USERS[o.u]!, amount: o.amt, paid: false })
      return true
    case "payLift": {
      const l = m.lifts[o.i % Math.max(1, m.lifts.length)]
      if (l === undefined || l.paid) return false
      l.paid = true
      add(m.avail, l.user, l.amount)
      m.supply += l.amount
      return true
    }
    case "replay":
      return false
    case "land": {
      const user = USERS[o.u]!
      if (get(m.avail, user) < o.amt) return false
      add(m.avail, user, -o.amt)
      add(m.res, user, o.amt)
      m.lands.push({ user, amount: o.amt, status: "pending" })
      return true
    }
    case "payLand": {
      const l = m.lands[o.i % Math.max(1, m.lands.length)]
      if (l === undefined || l.status !== "pending") return false
      add(m.res, l.user, -l.amount)
      if (o.ok) {
        l.status = "paid"
        m.supply -= l.amount
        return true
      }
      l.status = "failed"
      add(m.avail, l.user, l.amount)
      return false
    }
    case "assign": {
      const candidates = m.vtxos.filter((v) => v.status === "available" && v.amount >= o.amt)
      if (candidates.length === 0) return false
      const smallest = candidates.reduce((a, b) => (b.amount < a.amount ? b : a)).amount
      const chosen = m.vtxos[ids.indexOf(assignedId ?? "")]
      // The service picks among equals; the model checks it picked an available one of the smallest amount.
      expect(chosen?.status).toBe("available")
      expect(chosen?.amount).toBe(smallest)
      chosen!.status = "assigned"
      return true
    }
    case "spend": {
      const v = m.vtxos[o.v]!
      if (v.status === "spent") return v.txid === TXIDS[o.tx]
      v.status = "spent"
      v.txid = TXIDS[o.tx]!
      return true
    }
  }
}

/** The invariants, read from the books alone. */
const checkBooks = (w: World) =>
  Effect.gen(function*() {
    const ledger = yield* LedgerService
    const store = yield* LedgerStore
    const asset = yield* ledger.getAsset("BTC")
    const rows = yield* store.balances({ asset_id: "BTC" })
    const report = Machine.audit(asset, rows.map((r) => [r.account, r.balance] as const))
    expect(report).toMatchObject({ journal_sum: 0n, negative_accounts: [], balanced: true })
    const journal = yield* ledger.journal({ asset_id: "BTC" })
    // The journal is the truth: replaying it gives the balances.
    const replayed = [...journal].reverse().reduce((b, e) => Machine.applyPostings(b, e.postings), new Map<AccountKey, bigint>())
    for (const r of rows) expect(replayed.get(r.account) ?? 0n).toBe(r.balance)
    for (const e of journal) expect(e.postings.reduce((n, p) => n + p.amount, 0n)).toBe(0n)
    // Supply = minted + lifted − landed, each lift credited at most once.
    const sumOf = (f: (e: (typeof journal)[number]) => boolean, account: AccountKey) =>
      journal.filter(f).flatMap((e) => e.postings).filter((p) => p.account === account).reduce((n, p) => n + p.amount, 0n)
    const lifted = journal.filter((e) => e.kind === "lift")
    expect(new Set(lifted.map((e) => e.reference)).size).toBe(lifted.length)
    const minted = sumOf((e) => e.kind === "mint", "system:issuance")
    const lightning = sumOf(() => true, "system:lightning")
    expect(asset.circulating_supply).toBe(-minted - lightning)
    // A hold ends once; a land's hold ends the way its payment did.
    for (const h of yield* ledger.listHolds({})) {
      const closing = journal.filter((e) => e.reference === h.hold_id && e.kind !== "reserve")
      expect(closing.length).toBe(h.status === "held" ? 0 : 1)
    }
    const lightningSvc = yield* LightningService
    for (const l of w.lands) {
      const inv = yield* lightningSvc.get(l.hash)
      const hold = Option.getOrThrow(yield* ledger.getHold(inv.hold_id!))
      const expected = inv.status === "paid" ? "settled" : inv.status === "failed" || inv.status === "expired" ? "released" : "held"
      expect(hold.status).toBe(expected)
    }
    // No VTXO was ever handed out twice.
    expect(new Set(w.assigned).size).toBe(w.assigned.length)
    return rows
  })

let run_ = 0
const setup = Effect.gen(function*() {
  const ledger = yield* LedgerService
  const vtxos = yield* VtxoService
  yield* ledger.ensureAsset(BTC)
  // The inventory is adopted rather than boarded: batches through arkd are covered elsewhere, and this keeps 1,000 runs quick.
  const txid = (++run_).toString(16).padStart(64, "0")
  const ids = yield* Effect.forEach(INVENTORY, (amount_sats, vout) =>
    vtxos.adopt({ txid, vout, amount_sats, script_pubkey: "51", asset_id: "BTC" }).pipe(Effect.map((v) => v.vtxo_id)))
  // Everyone starts with some money, so that holds, lands and races have something to act on.
  for (const user of USERS) yield* ledger.mint({ asset_id: "BTC", user_pubkey: user, amount: SEED })
  return ids
})

/** Each run's services, quiet (the properties run thousands of movements). */
const inEnv = <A, E>(effect: Effect.Effect<A, E, Layer.Layer.Success<typeof Env> | Scope.Scope>) =>
  Effect.runPromise(
    Effect.scoped(effect).pipe(
      Effect.provide(Env),
      Logger.withMinimumLogLevel(LogLevel.None),
      // Yield through microtasks only: the default scheduler's occasional 1 ms timer would dominate thousands of short runs.
      Effect.withScheduler(new Scheduler.MixedScheduler(Number.MAX_SAFE_INTEGER))
    )
  )

describe("money paths under random interleavings (property)", () => {
  it("one at a time, the services agree with a trivial model and keep the books", { timeout: 300_000 }, async () => {
    const reached = { mint: 0, transfer: 0, reserve: 0, settle: 0, release: 0, payLift: 0, payLand: 0, failedLand: 0, assign: 0, spend: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        await inEnv(Effect.gen(function*() {
          const ids = yield* setup
          const w: World = { lifts: [], lands: [], vtxos: ids, assigned: [] }
          const m: Model = {
            avail: new Map(USERS.map((user) => [user, SEED])),
            res: new Map(),
            supply: SEED * BigInt(USERS.length),
            holds: new Map(),
            lifts: [],
            lands: [],
            vtxos: INVENTORY.map((amount) => ({ amount, status: "available" as const, txid: null }))
          }
          const ledger = yield* LedgerService
          for (const o of ops) {
            const out = yield* run(o, w)
            const assignedId = o.t === "assign" && Either.isRight(out) ? w.assigned[w.assigned.length - 1] : undefined
            const accepted = modelStep(m, o, ids, assignedId)
            expect(Either.isRight(out), `${o.t} ${JSON.stringify(o, (_, v) => (typeof v === "bigint" ? String(v) : v))}`).toBe(accepted)
            if (accepted) reached[o.t === "payLand" ? "payLand" : o.t === "lift" || o.t === "land" || o.t === "replay" ? "mint" : o.t]++
            else if (o.t === "payLand" && Either.isLeft(out) && (out.left as { _tag?: string })._tag === "PaymentFailed") reached.failedLand++
            else reached.refused++
            for (const user of USERS) {
              const b = yield* ledger.balance(user, "BTC")
              expect([b.available, b.reserved]).toEqual([get(m.avail, user), get(m.res, user)])
            }
            expect((yield* ledger.getAsset("BTC")).circulating_supply).toBe(m.supply)
          }
          yield* checkBooks(w)
        }))
      }),
      { numRuns: 1_000 }
    )
    for (const [path, n] of Object.entries(reached)) expect(n, path).toBeGreaterThan(0)
  })

  it("concurrently, whatever the order, the books stay balanced and nothing is credited, debited or assigned twice", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (batches) => {
        await inEnv(Effect.gen(function*() {
          const ids = yield* setup
          const w: World = { lifts: [], lands: [], vtxos: ids, assigned: [] }
          for (const batch of batches) {
            yield* Effect.all(batch.map((o) => run(o, w)), { concurrency: "unbounded" })
            yield* checkBooks(w)
          }
          const rows = yield* checkBooks(w)
          // Users hold exactly the supply; nobody is below zero in either bucket.
          for (const user of USERS) {
            for (const k of [availableOf(user), reservedOf(user)]) {
              expect((rows.find((r) => r.account === k)?.balance ?? 0n) >= 0n).toBe(true)
            }
          }
        }))
      }),
      { numRuns: 1_000 }
    )
  })
})
