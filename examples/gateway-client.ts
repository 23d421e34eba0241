/**
 * A solver that drives a running gateway over HTTP through relaygate's typed
 * client: the routes, payloads and error bodies are the gateway's own HttpApi
 * contract, so a wrong field is a compile error and a refusal arrives as the
 * module's typed domain error.
 *
 *   npm start                                   # the gateway, another terminal
 *   RELAYGATE_URL=http://localhost:8000 npx tsx --conditions=relaygate-source examples/gateway-client.ts
 *
 * Prints one JSON line: the Ark txid, both balances, and the typed error a
 * forged signature gets.
 */
import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect } from "effect"
import { publicKeyOf, RelaygateClient, runSignedIntent, layer as clientLayer } from "relaygate/client"

const baseUrl = process.env["RELAYGATE_URL"] ?? "http://localhost:8000"

const program = Effect.gen(function*() {
  const client = yield* RelaygateClient
  const sender = { secretKey: schnorr.utils.randomSecretKey() }
  const recipient = publicKeyOf({ secretKey: schnorr.utils.randomSecretKey() })

  // Fund the sender (the gateway's dev/ops mint route).
  yield* client.assets.mint({ path: { asset_id: "BTC" }, payload: { user_pubkey: publicKeyOf(sender), amount: 50_000 } })

  // create session → challenge (checked) → sign → respond → ceremony, in one call.
  const ceremony = yield* runSignedIntent({
    key: sender,
    session_type: "p2p_transfer",
    intent_data: { recipient_pubkey: recipient, amount: 10_000, asset_id: "BTC" }
  })

  // A signature by the wrong key: the gateway's 401 comes back as InvalidSignature.
  const forged = yield* client.sessions.create({
    payload: { user_pubkey: publicKeyOf(sender), session_type: "p2p_transfer", intent_data: { recipient_pubkey: recipient, amount: 1, asset_id: "BTC" } }
  })
  yield* client.sessions.challenge({ path: { session_id: forged.session_id } })
  const refusal = yield* client.sessions.respond({
    path: { session_id: forged.session_id },
    payload: { signature: "00".repeat(64) }
  }).pipe(
    Effect.as("accepted"),
    Effect.catchTag("InvalidSignature", (e) => Effect.succeed(`${e._tag}: ${e.message}`))
  )

  const balance = (user_pubkey: string) =>
    client.assets.balance({ path: { user_pubkey, asset_id: "BTC" } }).pipe(
      Effect.map((b) => ({ available: b.available_balance, reserved: b.reserved_balance }))
    )
  return {
    status: ceremony.status,
    ark_txid: ceremony.ark_txid,
    sender: yield* balance(publicKeyOf(sender)),
    recipient: yield* balance(recipient),
    forged_signature: refusal
  }
})

const result = await Effect.runPromise(program.pipe(Effect.provide(clientLayer({ baseUrl }))))
console.log(JSON.stringify(result))
