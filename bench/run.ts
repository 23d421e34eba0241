import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { machine, type Row, table } from "./harness.js"
import { schnorrVerify, sr25519Verify } from "./rows/crypto.js"
import { httpRespond } from "./rows/http-respond.js"

/** `npm run bench` runs every row; `npm run bench -- 1 3` runs only those. */
const wanted = new Set(process.argv.slice(2).map(Number).filter((n) => n > 0))
const runs = (id: number) => wanted.size === 0 || wanted.has(id)

const program = Effect.gen(function*() {
  const rows: Array<Row> = []
  const started = Date.now()
  // Row 3 compares against row 1's fast verifier, so row 1 runs whenever 3 does.
  const schnorr = runs(1) || runs(3) ? yield* schnorrVerify : undefined
  if (schnorr && runs(1)) rows.push(schnorr)
  if (runs(2)) rows.push(yield* sr25519Verify)
  if (runs(3) && schnorr) rows.push(yield* httpRespond(schnorr.ours.value))

  const m = machine()
  console.log(`relaygate bench · ${m.cores} cores · ${m.cpu} · Node ${m.node} · ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  console.log(table(rows))
  for (const r of rows) if (r.note) console.log(`row ${r.id}: ${r.note}`)
  writeFileSync(
    fileURLToPath(new URL("results.json", import.meta.url)),
    JSON.stringify({ machine: m, at: new Date().toISOString(), rows }, null, 2) + "\n"
  )
})

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
