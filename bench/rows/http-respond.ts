import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect } from "effect"
import * as ecc from "tiny-secp256k1"
import { bytesToHex, hexToBytes } from "../../core/shared/hex.js"
import { row } from "../harness.js"
import { floor } from "./bare.js"
import type { App } from "./app-process.js"
import { measureLoad, describeLoad, loadProblems, type Planned } from "./load.js"

// Enough for a few seconds of load: the rate is taken over the answers, so a short run is noisy.
const SESSIONS = 6_000
const WARM_UP = 1_000

/** Sessions with a live challenge, each answered by exactly one valid signature. */
export const prepare = (url: string, n: number) =>
  Effect.promise(async () => {
    const sk = schnorr.utils.randomSecretKey()
    const pubkey = bytesToHex(schnorr.getPublicKey(sk))
    const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
    const out: Array<Planned> = []
    const send = (path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
      })
    // Once more on a lost socket: the rows before this one keep this process's event loop busy
    // for seconds, past the app's keep-alive timeout, and fetch may reuse a socket the app closed.
    const post = (path: string, body?: unknown) =>
      send(path, body).catch(() => send(path, body)).then((r) => r.json() as Promise<Record<string, string>>)
    const one = async () => {
      const s = await post("/sessions/create", {
        user_pubkey: pubkey,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient, amount: 1000, asset_id: "BTC" }
      })
      const c = await post(`/sessions/${s["session_id"]}/challenge`)
      const signature = bytesToHex(ecc.signSchnorr(hexToBytes(c["message_hash"]!), sk))
      out.push({ method: "POST", path: `/sessions/${s["session_id"]}/respond`, body: JSON.stringify({ signature, user_pubkey: pubkey }) })
    }
    // Fewer connections than the measurement: set-up is not what is measured, and a busy machine times out 32.
    const workers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < n; i += 8) await one()
    })
    await Promise.all(workers)
    return out
  })

/**
 * POST /sessions/{id}/respond with valid signatures from a separate process,
 * keep-alive, 32 connections; requests/s against the verifier's single-core
 * verifies/s measured in this same run (row 1).
 */
export const httpRespond = (app: App, bare: App, verifiesPerSecond: number) =>
  Effect.gen(function*() {
    const plan = yield* prepare(app.url, SESSIONS + WARM_UP)
    const r = yield* Effect.promise(() => measureLoad(app.url, app.child.pid!, plan.slice(WARM_UP), plan.slice(0, WARM_UP)))
    const bound = yield* floor(bare, "respond", SESSIONS, WARM_UP, verifiesPerSecond)
    return row({
      id: 3,
      name: "HTTP respond path (valid BIP-340)",
      ours: { label: describeLoad(r), value: r.rps, unit: "req/s" },
      baseline: { label: "verifier alone, one core (row 1, mean of start and just before)", value: verifiesPerSecond, unit: "verify/s" },
      target: { op: ">=", value: 0.7 },
      note: [bound, loadProblems(r)].filter((n) => n !== undefined).join("; ")
    })
  })
