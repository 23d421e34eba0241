import { describe, expect, it } from "@effect/vitest"
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js"
import { base64, hex } from "@scure/base"
import { Transaction } from "@scure/btc-signer"
import { Effect, Either, Fiber, type Layer, TestClock } from "effect"
import { generatePrivateKey, make as makeSigner } from "../../adapters/crypto/gateway-signer.js"
import { ArkServerSimulator } from "../../adapters/memory/ark-server.js"
import { buildOffchainTx, isXOnlyKey, selectInputs, validateOffchainTx, vtxoScript } from "../../core/signing/ark-tx.js"
import { ArkServer, type ArkVtxo } from "../../ports/ark-server.js"

const randomPubkey = () => hex.encode(schnorr.getPublicKey(secp256k1.utils.randomSecretKey()))

const asInput = (v: ArkVtxo) => ({ txid: v.txid, vout: v.vout, amount: v.amount, script: v.script })

/** A funded owner (the gateway's signer) and a transfer it has built and signed, ready for SubmitTx. */
const prepareTransfer = (opts: { readonly funds: ReadonlyArray<bigint>; readonly amount: bigint }) =>
  Effect.gen(function*() {
    const ark = yield* ArkServer
    const sim = yield* ArkServerSimulator
    const info = yield* ark.getInfo()
    const signer = yield* makeSigner(yield* generatePrivateKey())
    const funded = yield* Effect.forEach(opts.funds, (amount) => sim.fund(signer.pubkey, amount))
    const recipient = randomPubkey()
    const build = (amount: bigint, to: string, inputs: ReadonlyArray<ArkVtxo>) => {
      const params = {
        inputs: inputs.map(asInput),
        ownerPubkey: signer.pubkey,
        recipientPubkey: to,
        amount,
        serverPubkey: info.signerPubkey,
        exitDelay: info.unilateralExitDelay
      }
      const built = Either.getOrThrow(buildOffchainTx({ ...params, dust: info.dust }))
      const { arkTxid } = Either.getOrThrow(validateOffchainTx({ ...params, ...built }))
      return { ...built, arkTxid }
    }
    const inputs = Either.getOrThrow(selectInputs(yield* ark.listVtxos(signer.pubkey), opts.amount))
    const tx = build(opts.amount, recipient, inputs as ReadonlyArray<ArkVtxo>)
    const signedArkTx = yield* signer.signPsbt(tx.arkTx)
    return { ark, sim, info, signer, funded, recipient, inputs, tx, signedArkTx, build }
  })

/**
 * The behaviour every ArkServer must have, driven through a simulator's controls.
 * `batchRounds: false` skips boarding and settlement for an adapter that refuses batch rounds.
 */
export const arkServerContract = (
  name: string,
  layer: Layer.Layer<ArkServer | ArkServerSimulator>,
  { batchRounds = true }: { readonly batchRounds?: boolean } = {}
) =>
  describe(`ArkServer contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, ArkServer | ArkServerSimulator>) => Effect.provide(effect, layer)

    it.effect("getInfo describes the signer key and the rules VTXOs follow", () =>
      run(Effect.gen(function*() {
        const info = yield* (yield* ArkServer).getInfo()
        expect(isXOnlyKey(info.signerPubkey)).toBe(true)
        expect(info.dust).toBeGreaterThan(0n)
        expect(info.unilateralExitDelay).toBeGreaterThan(0n)
        expect(info.network).toBeTruthy()
      })))

    it.effect("listVtxos returns the owner's unspent VTXOs and no one else's", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const sim = yield* ArkServerSimulator
        const info = yield* ark.getInfo()
        const [alice, bob] = [randomPubkey(), randomPubkey()]
        const a1 = yield* sim.fund(alice, 10_000n)
        const a2 = yield* sim.fund(alice, 2_000n)
        const b1 = yield* sim.fund(bob, 5_000n)
        expect(a1.script).toBe(vtxoScript(alice, info.signerPubkey, info.unilateralExitDelay))
        expect(new Set(yield* ark.listVtxos(alice))).toEqual(new Set([a1, a2]))
        expect(yield* ark.listVtxos(bob)).toEqual([b1])
        expect(yield* ark.listVtxos(randomPubkey())).toEqual([])
        expect((yield* ark.listVtxos("nope").pipe(Effect.flip))._tag).toBe("ArkTxRejected")
      })))

    it.effect("submit then finalize moves the amount to the recipient and the change back to the owner", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [6_000n, 4_000n, 3_000n], amount: 9_000n })
        expect(t.inputs).toHaveLength(2)
        const submitted = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        expect(submitted.arkTxid).toBe(t.tx.arkTxid)
        expect(submitted.signedCheckpointTxs).toHaveLength(2)
        // Reserved inputs are no longer offered, and nothing was created yet.
        expect((yield* t.ark.listVtxos(t.signer.pubkey)).map((v) => v.amount)).toEqual([3_000n])
        expect(yield* t.ark.listVtxos(t.recipient)).toEqual([])

        const finalCheckpointTxs = yield* Effect.forEach(submitted.signedCheckpointTxs, t.signer.signPsbt)
        yield* t.ark.finalizeTx({ arkTxid: submitted.arkTxid, finalCheckpointTxs })

        const received = yield* t.ark.listVtxos(t.recipient)
        expect(received).toEqual([expect.objectContaining({ txid: submitted.arkTxid, vout: 0, amount: 9_000n, pubkey: t.recipient, spent: false })])
        const ownerNow = yield* t.ark.listVtxos(t.signer.pubkey)
        expect(new Set(ownerNow.map((v) => v.amount))).toEqual(new Set([3_000n, 1_000n]))
        expect(ownerNow.find((v) => v.amount === 1_000n)).toMatchObject({ txid: submitted.arkTxid, vout: 1 })
        const all = yield* t.sim.vtxos()
        for (const input of t.inputs) {
          expect(all.find((v) => v.txid === input.txid && v.vout === input.vout)?.spent).toBe(true)
        }
      })))

    it.effect("the final ark tx carries both the owner's and the server's signatures", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [5_000n], amount: 5_000n })
        const submitted = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        const tx = Transaction.fromPSBT(base64.decode(submitted.finalArkTx), { allowUnknownOutputs: true })
        const signers = (tx.getInput(0).tapScriptSig ?? []).map(([{ pubKey }]) => hex.encode(pubKey))
        expect(new Set(signers)).toEqual(new Set([t.signer.pubkey, t.info.signerPubkey]))
        expect(tx.id).toBe(submitted.arkTxid)
      })))

    it.effect("submit and finalize are idempotent for the same ark tx", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [8_000n], amount: 5_000n })
        const first = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        const again = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        expect(again).toEqual(first)
        const finalCheckpointTxs = yield* Effect.forEach(first.signedCheckpointTxs, t.signer.signPsbt)
        yield* t.ark.finalizeTx({ arkTxid: first.arkTxid, finalCheckpointTxs })
        yield* t.ark.finalizeTx({ arkTxid: first.arkTxid, finalCheckpointTxs })
        expect(yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })).toEqual(first)
        expect(yield* t.ark.listVtxos(t.recipient)).toHaveLength(1)
        expect(yield* t.sim.vtxos()).toHaveLength(3)
      })))

    it.effect("a VTXO cannot be spent twice, whether the first spend is pending or final", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [8_000n], amount: 5_000n })
        const rival = t.build(6_000n, randomPubkey(), t.funded)
        const signedRival = yield* t.signer.signPsbt(rival.arkTx)
        const first = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        const whilePending = yield* t.ark.submitTx({ signedArkTx: signedRival, checkpointTxs: rival.checkpointTxs }).pipe(Effect.flip)
        expect(whilePending).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/already being spent/) })
        const finalCheckpointTxs = yield* Effect.forEach(first.signedCheckpointTxs, t.signer.signPsbt)
        yield* t.ark.finalizeTx({ arkTxid: first.arkTxid, finalCheckpointTxs })
        const afterFinal = yield* t.ark.submitTx({ signedArkTx: signedRival, checkpointTxs: rival.checkpointTxs }).pipe(Effect.flip)
        expect(afterFinal).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/already spent/) })
      })))

    it.effect("concurrent submits of two txs spending one VTXO: exactly one is accepted", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [8_000n], amount: 5_000n })
        const rival = t.build(6_000n, randomPubkey(), t.funded)
        const signedRival = yield* t.signer.signPsbt(rival.arkTx)
        const results = yield* Effect.all([
          Effect.either(t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })),
          Effect.either(t.ark.submitTx({ signedArkTx: signedRival, checkpointTxs: rival.checkpointTxs }))
        ], { concurrency: "unbounded" })
        expect(results.filter(Either.isRight)).toHaveLength(1)
      })))

    it.effect("an ark tx without a valid owner signature is rejected and reserves nothing", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [8_000n], amount: 5_000n })
        const unsigned = yield* t.ark.submitTx({ signedArkTx: t.tx.arkTx, checkpointTxs: t.tx.checkpointTxs }).pipe(Effect.flip)
        expect(unsigned).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/signature/) })

        // The owner's signature from another ark tx over the same checkpoint does not sign this one.
        const other = t.build(6_000n, t.recipient, t.funded)
        const otherSig = Transaction.fromPSBT(base64.decode(yield* t.signer.signPsbt(other.arkTx)), { allowUnknownOutputs: true })
          .getInput(0).tapScriptSig!
        const forged = Transaction.fromPSBT(base64.decode(t.tx.arkTx), { allowUnknownOutputs: true })
        forged.updateInput(0, { tapScriptSig: otherSig })
        expect(forged.getInput(0).tapScriptSig).toHaveLength(1)
        const rejected = yield* t.ark
          .submitTx({ signedArkTx: base64.encode(forged.toPSBT()), checkpointTxs: t.tx.checkpointTxs })
          .pipe(Effect.flip)
        expect(rejected).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/signature/) })
        expect(yield* t.ark.listVtxos(t.signer.pubkey)).toEqual(t.funded)
      })))

    it.effect("finalize needs the owner's checkpoint signatures and a submitted ark tx", () =>
      run(Effect.gen(function*() {
        const t = yield* prepareTransfer({ funds: [8_000n], amount: 5_000n })
        const unknown = yield* t.ark.finalizeTx({ arkTxid: "00".repeat(32), finalCheckpointTxs: [] }).pipe(Effect.flip)
        expect(unknown).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/never submitted/) })
        const submitted = yield* t.ark.submitTx({ signedArkTx: t.signedArkTx, checkpointTxs: t.tx.checkpointTxs })
        const serverOnly = yield* t.ark
          .finalizeTx({ arkTxid: submitted.arkTxid, finalCheckpointTxs: submitted.signedCheckpointTxs })
          .pipe(Effect.flip)
        expect(serverOnly).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/owner/) })
        const missing = yield* t.ark.finalizeTx({ arkTxid: submitted.arkTxid, finalCheckpointTxs: [] }).pipe(Effect.flip)
        expect(missing).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/finalized/) })
        expect(yield* t.ark.listVtxos(t.recipient)).toEqual([])
        expect((yield* t.sim.vtxos()).every((v) => !v.spent)).toBe(true)
      })))

    it.effect.skipIf(!batchRounds)("boarding creates spendable VTXOs of the owner in one commitment; below-dust outputs are refused", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const info = yield* ark.getInfo()
        const owner = randomPubkey()
        const board = yield* ark.boardVtxos({ ownerPubkey: owner, amounts: [5_000n, 7_000n, 5_000n] })
        expect(board.commitmentTxid).toMatch(/^[0-9a-f]{64}$/)
        expect(board.vtxos.map((v) => v.amount)).toEqual([5_000n, 7_000n, 5_000n])
        expect(new Set(board.vtxos.map((v) => `${v.txid}:${v.vout}`)).size).toBe(3)
        for (const v of board.vtxos) expect(v.script).toBe(vtxoScript(owner, info.signerPubkey, info.unilateralExitDelay))
        expect(new Set(yield* ark.listVtxos(owner))).toEqual(new Set(board.vtxos))
        const dust = yield* ark.boardVtxos({ ownerPubkey: owner, amounts: [info.dust - 1n] }).pipe(Effect.flip)
        expect(dust._tag).toBe("ArkTxRejected")
        expect((yield* ark.boardVtxos({ ownerPubkey: owner, amounts: [] }).pipe(Effect.flip))._tag).toBe("ArkTxRejected")
        expect(yield* ark.listVtxos(owner)).toHaveLength(3)
      })))

    it.effect.skipIf(!batchRounds)("boarded VTXOs are spendable by their owner through submit and finalize", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const info = yield* ark.getInfo()
        const signer = yield* makeSigner(yield* generatePrivateKey())
        const { vtxos } = yield* ark.boardVtxos({ ownerPubkey: signer.pubkey, amounts: [20_000n] })
        const params = {
          inputs: vtxos.map(asInput),
          ownerPubkey: signer.pubkey,
          recipientPubkey: randomPubkey(),
          amount: 15_000n,
          serverPubkey: info.signerPubkey,
          exitDelay: info.unilateralExitDelay
        }
        const built = Either.getOrThrow(buildOffchainTx({ ...params, dust: info.dust }))
        const submitted = yield* ark.submitTx({ signedArkTx: yield* signer.signPsbt(built.arkTx), checkpointTxs: built.checkpointTxs })
        const finals = yield* Effect.forEach(submitted.signedCheckpointTxs, (p) => signer.signPsbt(p))
        yield* ark.finalizeTx({ arkTxid: submitted.arkTxid, finalCheckpointTxs: finals })
        expect((yield* ark.listVtxos(params.recipientPubkey)).map((v) => v.amount)).toEqual([15_000n])
      })))

    it.effect.skipIf(!batchRounds)("settlement anchors known outpoints once and refuses unknown ones", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const { vtxos } = yield* ark.boardVtxos({ ownerPubkey: randomPubkey(), amounts: [1_000n, 2_000n] })
        const outpoints = vtxos.map(({ txid, vout }) => ({ txid, vout }))
        const first = yield* ark.settleBatch({ vtxos: [outpoints[0]!, outpoints[0]!] })
        expect(first.commitmentTxid).toMatch(/^[0-9a-f]{64}$/)
        expect(first.anchored).toEqual([{ ...outpoints[0], commitmentTxid: first.commitmentTxid }])
        const second = yield* ark.settleBatch({ vtxos: outpoints })
        expect(second.commitmentTxid).not.toBe(first.commitmentTxid)
        expect(second.anchored).toEqual([
          { ...outpoints[0], commitmentTxid: first.commitmentTxid },
          { ...outpoints[1], commitmentTxid: second.commitmentTxid }
        ])
        const again = yield* ark.settleBatch({ vtxos: outpoints })
        expect(again.commitmentTxid).toBeNull()
        expect(again.anchored).toEqual(second.anchored)
        const unknown = yield* ark.settleBatch({ vtxos: [{ txid: "00".repeat(32), vout: 0 }] }).pipe(Effect.flip)
        expect(unknown._tag).toBe("ArkTxRejected")
      })))

    it.effect("fail: every call fails with ArkServerUnavailable until the server is back", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const sim = yield* ArkServerSimulator
        yield* sim.setBehaviour("fail")
        const errors = yield* Effect.all([
          Effect.flip(ark.getInfo()),
          Effect.flip(ark.listVtxos(randomPubkey())),
          Effect.flip(ark.submitTx({ signedArkTx: "", checkpointTxs: [] })),
          Effect.flip(ark.finalizeTx({ arkTxid: "00".repeat(32), finalCheckpointTxs: [] })),
          Effect.flip(ark.boardVtxos({ ownerPubkey: randomPubkey(), amounts: [1_000n] })),
          Effect.flip(ark.settleBatch({ vtxos: [] }))
        ])
        for (const e of errors) expect(e._tag).toBe("ArkServerUnavailable")
        yield* sim.setBehaviour("normal")
        // A gRPC adapter's circuit breaker (open after these failures) lets a probe through after its 5 s cool-down.
        yield* TestClock.adjust("5 seconds")
        expect(isXOnlyKey((yield* ark.getInfo()).signerPubkey)).toBe(true)
      })))

    it.effect("hang: calls never complete, so the caller's timeout decides", () =>
      run(Effect.gen(function*() {
        const ark = yield* ArkServer
        const sim = yield* ArkServerSimulator
        yield* sim.setBehaviour("hang")
        const call = yield* ark.getInfo().pipe(Effect.timeout("60 seconds"), Effect.flip, Effect.fork)
        yield* TestClock.adjust("60 seconds")
        expect((yield* Fiber.join(call))._tag).toBe("TimeoutException")
      })))
  })
