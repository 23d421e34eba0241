import { describe, expect, it } from "@effect/vitest"
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import * as btc from "@scure/btc-signer"
import { Effect, Either, Redacted } from "effect"
import { generatePrivateKey, layer, make } from "../../../adapters/crypto/gateway-signer.js"
import { buildOffchainTx, verifyTapscriptSignature, vtxoScript } from "../../../core/signing/ark-tx.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"

const server = hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))
const recipient = hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))

const arkTransfer = (owner: string) =>
  Either.getOrThrow(buildOffchainTx({
    inputs: [0, 1].map((vout) => ({ txid: "ab".repeat(32), vout, amount: 5_000n, script: vtxoScript(owner, server, 512n) })),
    ownerPubkey: owner,
    recipientPubkey: recipient,
    amount: 7_000n,
    serverPubkey: server,
    exitDelay: 512n,
    dust: 330n
  }))

describe("GatewaySigner (btc-signer)", () => {
  it.effect("exposes the x-only public key of its private key", () =>
    Effect.gen(function*() {
      const sk = yield* generatePrivateKey()
      const signer = yield* make(sk)
      expect(signer.pubkey).toBe(hex.encode(schnorr.getPublicKey(sk)))
      expect(signer.pubkey).toMatch(/^[0-9a-f]{64}$/)
    }))

  it.effect("signs every input of an ark tx and of its checkpoints through the collaborative leaf", () =>
    Effect.gen(function*() {
      const signer = yield* make(yield* generatePrivateKey())
      const { arkTx, checkpointTxs } = arkTransfer(signer.pubkey)
      const signed = yield* signer.signPsbt(arkTx)
      for (const i of [0, 1]) expect(verifyTapscriptSignature(signed, i, signer.pubkey, schnorr.verify)).toBe(true)
      for (const cp of checkpointTxs) {
        expect(verifyTapscriptSignature(yield* signer.signPsbt(cp), 0, signer.pubkey, schnorr.verify)).toBe(true)
      }
    }))

  it.effect("signs a key-path taproot input of its own key", () =>
    Effect.gen(function*() {
      const signer = yield* make(yield* generatePrivateKey())
      const own = btc.p2tr(signer.pubkey)
      const tx = new btc.Transaction()
      tx.addInput({ txid: "cd".repeat(32), index: 0, witnessUtxo: { script: own.script, amount: 10_000n }, tapInternalKey: own.tapInternalKey })
      tx.addOutput({ script: own.script, amount: 9_000n })
      const signed = btc.Transaction.fromPSBT(base64.decode(yield* signer.signPsbt(base64.encode(tx.toPSBT()))))
      const sig = signed.getInput(0).tapKeySig!
      const msg = signed.preimageWitnessV1(0, [own.script], 0, [10_000n])
      expect(schnorr.verify(sig, msg, own.tweakedPubkey)).toBe(true)
    }))

  it.effect("fails with GatewaySigningFailed when no input is its own or the PSBT is malformed", () =>
    Effect.gen(function*() {
      const signer = yield* make(yield* generatePrivateKey())
      const stranger = hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))
      const notOurs = yield* signer.signPsbt(arkTransfer(stranger).arkTx).pipe(Effect.flip)
      expect(notOurs._tag).toBe("GatewaySigningFailed")
      const garbage = yield* signer.signPsbt("cHNidP8=").pipe(Effect.flip)
      expect(garbage._tag).toBe("GatewaySigningFailed")
    }))

  it.effect("layer takes GATEWAY_PRIVATE_KEY as hex and refuses keys that are not secp256k1 scalars", () =>
    Effect.gen(function*() {
      const sk = yield* generatePrivateKey()
      const pubkey = yield* Effect.map(GatewaySigner, (s) => s.pubkey).pipe(Effect.provide(layer(Redacted.make(hex.encode(sk).toUpperCase()))))
      expect(pubkey).toBe(hex.encode(schnorr.getPublicKey(sk)))
      const order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
      for (const bad of ["", "xyz", "00".repeat(32), order, hex.encode(sk).slice(2)]) {
        const err = yield* GatewaySigner.pipe(Effect.provide(layer(Redacted.make(bad))), Effect.flip)
        expect(err._tag).toBe("InvalidGatewayKey")
      }
    }))

  it.effect("generates distinct valid keys", () =>
    Effect.gen(function*() {
      const [a, b] = [yield* generatePrivateKey(), yield* generatePrivateKey()]
      expect(secp256k1.utils.isValidSecretKey(a)).toBe(true)
      expect(hex.encode(a)).not.toBe(hex.encode(b))
    }))
})
