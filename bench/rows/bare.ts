import { schnorr } from "@noble/curves/secp256k1.js"
import { sr25519KeypairFromSeed, sr25519Sign, waitReady } from "@polkadot/wasm-crypto"
import { createHash, randomBytes } from "node:crypto"
import { Effect } from "effect"
import { bytesToHex } from "../../core/shared/hex.js"
import type { App } from "./app-process.js"
import { measureLoad, describeLoad, type Planned } from "./load.js"

/** Valid respond requests for the bare server: each session id signed once (BIP-340 over sha256 of the id). */
const respondPlan = (n: number): ReadonlyArray<Planned> => {
  const sk = schnorr.utils.randomSecretKey()
  const user_pubkey = bytesToHex(schnorr.getPublicKey(sk))
  return Array.from({ length: n }, (_, i) => {
    const id = `bare-${i}`
    const signature = bytesToHex(schnorr.sign(createHash("sha256").update(id).digest(), sk))
    return { method: "POST", path: `/sessions/${id}/respond`, body: JSON.stringify({ signature, user_pubkey }) }
  })
}

/** Signed current-assignment GETs for the bare server: the hotkey as its hex public key, one signature per request. */
const currentPlan = async (n: number): Promise<ReadonlyArray<Planned>> => {
  await waitReady()
  const timestamp = Math.floor(Date.now() / 1000)
  const message = new TextEncoder().encode(`zipcode:assignment:current:${timestamp}`)
  return Array.from({ length: n }, () => {
    const pair = sr25519KeypairFromSeed(randomBytes(32))
    const pub = pair.slice(64)
    const signature = bytesToHex(sr25519Sign(pub, pair.slice(0, 64), message))
    return { method: "GET", path: `/api/v1/zipcode-assignments/current?hotkey=${bytesToHex(pub)}&signature=${signature}&timestamp=${timestamp}` }
  })
}

/**
 * The same load on the bare server (bench/bare/server.mjs), for the row's note:
 * what node:http and the verifier thread alone reach on this machine, now.
 */
export const floor = (bare: App, route: "respond" | "current", n: number, warmUp: number, verifiesPerSecond: number) =>
  Effect.promise(async () => {
    const plan = route === "respond" ? respondPlan(n + warmUp) : await currentPlan(n + warmUp)
    const r = await measureLoad(bare.url, bare.child.pid!, plan.slice(warmUp), plan.slice(0, warmUp))
    const failed = r.non2xx + r.errors
    return `floor, bare node:http + the same verifier thread under the same load: ${Math.round(r.rps).toLocaleString("en-US")} req/s ` +
      `(${(r.rps / verifiesPerSecond).toFixed(3)} of the verifier; ${describeLoad(r)}${failed === 0 ? "" : `; ${failed} failed`})`
  })
