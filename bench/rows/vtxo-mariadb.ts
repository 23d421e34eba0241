import * as Reactivity from "@effect/experimental/Reactivity"
import { MysqlClient } from "@effect/sql-mysql2"
import { Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { layerMigrated } from "../../adapters/mariadb/client.js"
import * as SqlVtxos from "../../adapters/mariadb/vtxo-store.js"
import type { Vtxo, VtxoBatch } from "../../core/vtxo/model.js"
import { VtxoStore } from "../../ports/vtxo-store.js"
import { row } from "../harness.js"

/** A server and an account allowed to create databases, as the tests use (TEST_DATABASE_URL). */
const ADMIN_URL = process.env["TEST_DATABASE_URL"] ?? "mysql://root@127.0.0.1:3306/test"
const INVENTORY = 3_000
const SOLO = 120
const CONCURRENT = 32
const PER_CLIENT = 20

const admin = (statement: string) =>
  Effect.scoped(Effect.flatMap(
    MysqlClient.make({ url: Redacted.make(ADMIN_URL), maxConnections: 1 }).pipe(Effect.provide(Reactivity.layer)),
    (sql) => sql.unsafe(statement)
  ))

/** A fresh database for this run, dropped afterwards. */
const freshDatabase = Effect.acquireRelease(
  Effect.gen(function*() {
    const name = `relaygate_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    yield* admin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
    const u = new URL(ADMIN_URL)
    u.pathname = `/${name}`
    return { name, url: u.toString() }
  }),
  ({ name }) => admin(`DROP DATABASE IF EXISTS ${name}`).pipe(Effect.ignore)
)

const inventory = (): { batch: VtxoBatch; vtxos: ReadonlyArray<Vtxo> } => {
  const txid = "ab".repeat(32)
  const batch: VtxoBatch = {
    batch_id: "bench-batch",
    asset_id: "BTC",
    count: INVENTORY,
    amount_sats: 10_000n,
    commitment_txid: txid,
    origin: "manual",
    created_at: 1
  }
  const vtxos = Array.from({ length: INVENTORY }, (_, vout): Vtxo => ({
    vtxo_id: `${txid}:${vout}`,
    txid,
    vout,
    // Mixed sizes so "smallest at least" has to choose.
    amount_sats: BigInt(10_000 + ((vout * 7919) % 90_000)),
    script_pubkey: "5120" + "00".repeat(32),
    asset_id: "BTC",
    owner_pubkey: "ee".repeat(32),
    user_pubkey: null,
    status: "available",
    batch_id: batch.batch_id,
    created_at: vout,
    expires_at: Date.now() + 86_400_000,
    assigned_at: null,
    assignment_ref: null,
    spent_at: null,
    spending_txid: null,
    settlement_id: null
  }))
  return { batch, vtxos }
}

/**
 * Row 6: VTXO assignments per second on MariaDB with 32 concurrent clients
 * against one client, through the SQL VtxoStore (the app's pool). Every
 * VTXO handed out must be handed out once: checked from the answers and from
 * the table.
 */
export const vtxoAssignment = Effect.scoped(Effect.gen(function*() {
  const db = yield* freshDatabase
  const context = yield* Layer.build(SqlVtxos.layer.pipe(Layer.provideMerge(layerMigrated(Redacted.make(db.url)))))
  const store = yield* Effect.provide(VtxoStore, context)
  const inv = inventory()
  yield* store.insertBatch(inv.batch, inv.vtxos)

  const given: Array<string> = []
  let client = 0
  const assign = (user: string) =>
    store.assignSmallestAtLeast({ asset_id: "BTC", amount: 20_000n, user_pubkey: user, ref: null, now: Date.now() }).pipe(
      Effect.tap(Option.match({ onNone: () => Effect.die(new Error("the inventory ran out")), onSome: (v) => Effect.sync(() => given.push(v.vtxo_id)) }))
    )
  const rate = (clients: number, each: number) =>
    Effect.gen(function*() {
      const t0 = performance.now()
      yield* Effect.forEach(
        Array.from({ length: clients }, () => (++client).toString(16).padStart(64, "0")),
        (user) => Effect.repeatN(assign(user), each - 1),
        { concurrency: "unbounded", discard: true }
      )
      return (clients * each) / ((performance.now() - t0) / 1000)
    })

  // Untimed, so neither side pays for the JIT, the pool's first connections or the prepared statements.
  yield* rate(1, 10)
  yield* rate(CONCURRENT, 2)
  let solo = 0
  let many = 0
  for (let r = 0; r < 2; r++) {
    solo += yield* rate(1, SOLO / 2)
    many += yield* rate(CONCURRENT, PER_CLIENT)
  }
  const distinct = new Set(given).size
  const assignedRows = yield* store.list({ status: "assigned", limit: INVENTORY })
  const doubles = given.length - distinct
  const tableAgrees = assignedRows.length === given.length
  return row({
    id: 6,
    name: "VTXO assignment on MariaDB",
    ours: { label: `${CONCURRENT} concurrent clients; ${doubles} double assignments, ${assignedRows.length} assigned rows for ${given.length} answers`, value: many / 2, unit: "assign/s" },
    baseline: { label: "1 client", value: solo / 2, unit: "assign/s" },
    target: { op: ">=", value: 3 },
    ...(doubles > 0 || !tableAgrees ? { note: `DOUBLE ASSIGNMENT: ${doubles} VTXOs handed out twice; table has ${assignedRows.length} assigned for ${given.length} answers` } : {})
  })
})).pipe(Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)))
