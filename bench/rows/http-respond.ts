import { schnorr } from "@noble/curves/secp256k1.js"
import autocannon from "autocannon"
import { Effect } from "effect"
import * as ecc from "tiny-secp256k1"
import { bytesToHex, hexToBytes } from "../../core/shared/hex.js"
import { row } from "../harness.js"
import { appProcess } from "./app-process.js"

const SESSIONS = 8_000

interface Prepared {
  readonly path: string
  readonly body: string
}

/** Sessions with a live challenge, each answered by exactly one valid signature. */
const prepare = (url: string, n: number) =>
  Effect.promise(async () => {
    const sk = schnorr.utils.randomSecretKey()
    const pubkey = bytesToHex(schnorr.getPublicKey(sk))
    const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
    const out: Array<Prepared> = []
    const post = (path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method: "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
      }).then((r) => r.json() as Promise<Record<string, string>>)
    const one = async () => {
      const s = await post("/sessions/create", {
        user_pubkey: pubkey,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient, amount: 1000, asset_id: "BTC" }
      })
      const c = await post(`/sessions/${s["session_id"]}/challenge`)
      const signature = bytesToHex(ecc.signSchnorr(hexToBytes(c["message_hash"]!), sk))
      out.push({ path: `/sessions/${s["session_id"]}/respond`, body: JSON.stringify({ signature, user_pubkey: pubkey }) })
    }
    const workers = Array.from({ length: 32 }, async (_, w) => {
      for (let i = w; i < n; i += 32) await one()
    })
    await Promise.all(workers)
    return out
  })

/**
 * POST /sessions/{id}/respond with valid signatures from a separate process,
 * keep-alive, 32 connections; requests/s against the verifier's single-core
 * verifies/s measured in this same run (row 1).
 */
export const httpRespond = (verifiesPerSecond: number) =>
  Effect.scoped(Effect.gen(function*() {
    const app = yield* appProcess()
    const prepared = yield* prepare(app.url, SESSIONS)
    let next = 0
    const result = yield* Effect.promise(() =>
      autocannon({
        url: app.url,
        connections: 32,
        amount: prepared.length,
        requests: [{
          method: "POST",
          headers: { "content-type": "application/json" },
          setupRequest: (req) => {
            const p = prepared[next++ % prepared.length]!
            return { ...req, path: p.path, body: p.body }
          }
        }]
      }))
    const ok = result["2xx"]
    const rps = ok / (result.duration || 1)
    return row({
      id: 3,
      name: "HTTP respond path (valid BIP-340)",
      ours: { label: `${ok} verified responses, 32 conns, p99 ${result.latency.p99} ms`, value: rps, unit: "req/s" },
      baseline: { label: "verifier alone, one core (row 1)", value: verifiesPerSecond, unit: "verify/s" },
      target: { op: ">=", value: 0.7 },
      ...(result.non2xx + result.errors > 0 ? { note: `${result.non2xx} non-2xx, ${result.errors} errors` } : {})
    })
  }))
