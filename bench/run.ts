import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { machine, type Row, table } from "./harness.js"
import { appProcess, bareProcess } from "./rows/app-process.js"
import { schnorrVerify, sr25519Verify } from "./rows/crypto.js"
import { httpEpochs } from "./rows/http-epochs.js"
import { httpRespond } from "./rows/http-respond.js"
import { packetIngestion } from "./rows/packets.js"
import { rejections } from "./rows/rejections.js"
import { vtxoAssignment } from "./rows/vtxo-mariadb.js"
import { wsFanout } from "./rows/ws-fanout.js"

/**
 * `npm run bench` runs every row; `npm run bench -- --row 4` (or `--row 4,5`,
 * or bare numbers `4 5`) runs only those. Rows 3 and 4 need the verifier
 * figures of rows 1 and 2, which then run too.
 */
const wanted = new Set(
  process.argv.slice(2).flatMap((a) => a.split(",")).map(Number).filter((n) => Number.isInteger(n) && n > 0)
)
const runs = (id: number) => wanted.size === 0 || wanted.has(id)

const program = Effect.gen(function*() {
  const m = machine()
  console.log(`relaygate bench · ${m.cores} cores · ${m.cpu} · Node ${m.node} · load average at start ${m.loadavg_at_start.join(" ")}`)
  const rows: Array<Row> = []
  const started = Date.now()
  const done = (r: Row) => {
    rows.push(r)
    console.log(`row ${r.id} done (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  }
  const schnorr = runs(1) || runs(3) ? yield* schnorrVerify : undefined
  if (schnorr && runs(1)) done(schnorr)
  const sr25519 = runs(2) || runs(4) ? yield* sr25519Verify : undefined
  if (sr25519 && runs(2)) done(sr25519)
  if (runs(3) || runs(4)) {
    // One app process for both HTTP rows: start-up is slow on a busy machine and not what is measured.
    // Each HTTP row against the mean of its verifier's rate at the start of the run and just before
    // the row: on a shared machine that rate drifts (seen: 988 to 1,915 sr25519 verifies/s in one hour).
    const around = <E1, E2>(first: Row, measure: Effect.Effect<Row, E1>, load: (verifiesPerSecond: number) => Effect.Effect<Row, E2>) =>
      Effect.flatMap(measure, (before) => load((first.ours.value + before.ours.value) / 2))
    yield* Effect.scoped(Effect.gen(function*() {
      const app = yield* appProcess()
      const bare = yield* bareProcess()
      if (runs(3) && schnorr) done(yield* around(schnorr, schnorrVerify, (v) => httpRespond(app, bare, v)))
      if (runs(4) && sr25519) done(yield* around(sr25519, sr25519Verify, (v) => httpEpochs(app, bare, v)))
    }))
  }
  if (runs(5)) done(yield* rejections)
  if (runs(6)) done(yield* vtxoAssignment)
  if (runs(7)) done(yield* packetIngestion)
  if (runs(8)) done(yield* wsFanout)

  console.log(`\n${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  console.log(table(rows))
  for (const r of rows) if (r.note) console.log(`row ${r.id}: ${r.note}`)
  const all = wanted.size === 0
  writeFileSync(
    fileURLToPath(new URL(all ? "results.json" : "results.partial.json", import.meta.url)),
    JSON.stringify({ machine: m, at: new Date().toISOString(), seconds: (Date.now() - started) / 1000, rows }, null, 2) + "\n"
  )
})

// In-process rows run as the app runs its code: with tracing off (apps/app.ts TracingLive).
Effect.runPromise(program.pipe(Effect.withTracerEnabled(false))).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
