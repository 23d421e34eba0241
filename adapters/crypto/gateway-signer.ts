import { secp256k1, schnorr } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import { Transaction } from "@scure/btc-signer"
import { Data, Effect, Layer, Redacted } from "effect"
import { isHexOfLength } from "../../core/shared/hex.js"
import { GatewaySigner, GatewaySigningFailed } from "../../ports/gateway-signer.js"

/** GATEWAY_PRIVATE_KEY is not a usable secp256k1 secret key; start-up stops on it. */
export class InvalidGatewayKey extends Data.TaggedError("InvalidGatewayKey")<{}> {
  override get message() {
    return "GATEWAY_PRIVATE_KEY must be 64 hex characters encoding a secp256k1 secret key in 1..n-1"
  }
}

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

export const make = (privateKey: Uint8Array): Effect.Effect<typeof GatewaySigner.Service, InvalidGatewayKey> =>
  Effect.gen(function*() {
    if (!secp256k1.utils.isValidSecretKey(privateKey)) return yield* new InvalidGatewayKey()
    // Our own copy, so a caller wiping or reusing its buffer cannot change the key.
    const key = Uint8Array.from(privateKey)
    return GatewaySigner.of({
      pubkey: hex.encode(schnorr.getPublicKey(key)),
      signPsbt: Effect.fn("GatewaySigner.signPsbt")(function*(psbtBase64: string) {
        return yield* Effect.try({
          try: () => {
            // Ark txs carry zero-value P2A anchors, which btc-signer calls "unknown" outputs.
            const tx = Transaction.fromPSBT(base64.decode(psbtBase64), { allowUnknownOutputs: true })
            tx.sign(key)
            return base64.encode(tx.toPSBT())
          },
          catch: (cause) => new GatewaySigningFailed({ reason: reasonOf(cause), cause })
        })
      })
    })
  })

export const layer = (privateKeyHex: Redacted.Redacted<string>): Layer.Layer<GatewaySigner, InvalidGatewayKey> =>
  Layer.effect(
    GatewaySigner,
    Effect.suspend(() => {
      const keyHex = Redacted.value(privateKeyHex).trim()
      return isHexOfLength(keyHex, 32) ? make(hex.decode(keyHex.toLowerCase())) : Effect.fail(new InvalidGatewayKey())
    })
  )

/** A fresh key for processes started without GATEWAY_PRIVATE_KEY. */
export const generatePrivateKey = (): Effect.Effect<Uint8Array> => Effect.sync(() => secp256k1.utils.randomSecretKey())
