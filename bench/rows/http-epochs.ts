import { sr25519KeypairFromSeed, sr25519Sign, waitReady } from "@polkadot/wasm-crypto"
import { encodeAddress } from "@polkadot/util-crypto"
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { Commitments } from "../../core/epochs/commitments.js"
import { bytesToHex } from "../../core/shared/hex.js"
import { row } from "../harness.js"
import { floor } from "./bare.js"
import type { App } from "./app-process.js"
import { measureLoad, describeLoad, loadProblems, type Planned } from "./load.js"

/** The route allows 10 requests per minute per hotkey; the plan stays within it so every request is served. */
const PER_HOTKEY = 10
const HOTKEYS = 600
const WARM_UP_HOTKEYS = 100

/**
 * Distinct signed GETs of /api/v1/zipcode-assignments/current: each hotkey
 * signs `zipcode:assignment:current:{timestamp}` afresh per request (the
 * replay guard refuses a signature twice).
 */
export const signedCurrentRequests = (hotkeys: number, perHotkey: number) =>
  Effect.promise(async () => {
    await waitReady()
    const timestamp = Math.floor(Date.now() / 1000)
    const message = new TextEncoder().encode(Commitments.currentAssignment(timestamp))
    const plan: Array<Planned> = []
    for (let k = 0; k < hotkeys; k++) {
      const pair = sr25519KeypairFromSeed(randomBytes(32))
      const secret = pair.slice(0, 64)
      const pub = pair.slice(64)
      const hotkey = encodeAddress(pub, 42)
      for (let i = 0; i < perHotkey; i++) {
        const signature = bytesToHex(sr25519Sign(pub, secret, message))
        plan.push({ method: "GET", path: `/api/v1/zipcode-assignments/current?hotkey=${hotkey}&signature=${signature}&timestamp=${timestamp}` })
      }
    }
    // Interleaved so 32 connections do not all hit one hotkey's limiter bucket at once.
    return plan.map((p, i) => ({ p, k: (i % perHotkey) * hotkeys + Math.floor(i / perHotkey) })).sort((a, b) => a.k - b.k).map((x) => x.p)
  })

/** Row 4: the epochs route, sr25519 signed, against the sr25519 verifier's single-core rate (row 2). */
export const httpEpochs = (app: App, bare: App, verifiesPerSecond: number) =>
  Effect.gen(function*() {
    const warmUp = yield* signedCurrentRequests(WARM_UP_HOTKEYS, PER_HOTKEY)
    const plan = yield* signedCurrentRequests(HOTKEYS, PER_HOTKEY)
    const r = yield* Effect.promise(() => measureLoad(app.url, app.child.pid!, plan, warmUp))
    const bound = yield* floor(bare, "current", HOTKEYS * PER_HOTKEY, WARM_UP_HOTKEYS * PER_HOTKEY, verifiesPerSecond)
    return row({
      id: 4,
      name: "HTTP GET zipcode-assignments/current (sr25519)",
      ours: { label: describeLoad(r), value: r.rps, unit: "req/s" },
      baseline: { label: "sr25519 verifier alone, one core (row 2, mean of start and just before)", value: verifiesPerSecond, unit: "verify/s" },
      target: { op: ">=", value: 0.7 },
      note: [bound, loadProblems(r)].filter((n) => n !== undefined).join("; ")
    })
  })
