import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { request } from "./http-app.js"

/** A wallet: a real Nostr key that signs challenges the way the ark spec says. */
export const wallet = () => {
  const sk = generateSecretKey()
  const pubkey = getPublicKey(sk)
  return { pubkey, sign: (challengeData: string) => bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(challengeData)), sk)) }
}

/**
 * Funds a sender and runs one p2p transfer ceremony to its end over HTTP;
 * returns the session id, the final ceremony status and every signature sent.
 */
export const completeCeremony = (baseUrl: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const call = (method: string, path: string, body?: unknown) =>
      request(baseUrl, method, path, body, body === undefined ? { headers } : { body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } })
    const sender = wallet()
    const recipient = wallet()
    const minted = yield* call("POST", "/assets/BTC/mint", { user_pubkey: sender.pubkey, amount: 1_000_000 })
    if (minted.status !== 200) return yield* Effect.dieMessage(`mint failed: ${JSON.stringify(minted.body)}`)
    const created = yield* call("POST", "/sessions/create", {
      user_pubkey: sender.pubkey,
      session_type: "p2p_transfer",
      intent_data: { recipient_pubkey: recipient.pubkey, amount: 10000, asset_id: "BTC" }
    })
    const id = created.body.session_id as string
    const challenge = yield* call("POST", `/sessions/${id}/challenge`)
    const signature = sender.sign(challenge.body.challenge_data)
    const respond = yield* call("POST", `/sessions/${id}/respond`, { signature, user_pubkey: sender.pubkey })
    if (respond.status !== 200) return yield* Effect.dieMessage(`respond failed: ${JSON.stringify(respond.body)}`)
    yield* call("POST", "/signing/ceremony/start", { session_id: id })
    for (let i = 0; i < 500; i++) {
      const s = yield* call("GET", `/signing/ceremony/${id}/status`)
      if (s.body.status !== "running") return { id, status: s.body.status as string, signatures: [signature] }
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
    return yield* Effect.dieMessage("ceremony did not finish")
  })
