import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Effect, Either, Layer, Option } from "effect"
import * as GatewayKey from "../../../adapters/crypto/gateway-signer.js"
import * as SchnorrNoble from "../../../adapters/crypto/schnorr-noble.js"
import * as SimulatedArkd from "../../../adapters/memory/ark-server.js"
import * as MemoryLedger from "../../../adapters/memory/ledger-store.js"
import * as MemorySessions from "../../../adapters/memory/session-store.js"
import * as MemoryTransactions from "../../../adapters/memory/transaction-store.js"
import * as MemoryVtxos from "../../../adapters/memory/vtxo-store.js"
import { BTC } from "../../../core/ledger/model.js"
import * as LedgerService from "../../../core/ledger/service.js"
import * as Ceremony from "../../../core/signing/ceremony.machine.js"
import * as CeremonyService from "../../../core/signing/ceremony.service.js"
import { challengeMessage } from "../../../core/signing/challenge.js"
import { CeremonyFunds } from "../../../core/signing/funds.js"
import * as SessionService from "../../../core/signing/service.js"
import * as Funds from "../../../core/transactions/funds.service.js"
import * as VtxoService from "../../../core/vtxo/service.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"
import { SessionStore } from "../../../ports/session-store.js"
import { TransactionStore } from "../../../ports/transaction-store.js"

const senderKey = schnorr.utils.randomSecretKey()
const sender = bytesToHex(schnorr.getPublicKey(senderKey))
const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))

/** The ark module below HTTP, as apps/ark-signing.ts composes it: the ceremony on top of the ledger and the inventory. */
const Infra = Layer.mergeAll(MemorySessions.layer, SchnorrNoble.layer, SimulatedArkd.layer(), MemoryLedger.layer, MemoryVtxos.layer, MemoryTransactions.layer)
  .pipe(Layer.provideMerge(Layer.effect(GatewaySigner, Effect.flatMap(GatewayKey.generatePrivateKey(), GatewayKey.make))))
const Money = Funds.layer.pipe(
  Layer.provideMerge(VtxoService.layer({ expirationMs: 86_400_000, minAmountSats: 1_000n })),
  Layer.provideMerge(LedgerService.layer)
)
const Env = Layer.mergeAll(SessionService.layer({ sessionTtlMs: 30 * 60_000, challengeTtlMs: 5 * 60_000 }), CeremonyService.layer).pipe(
  Layer.provideMerge(Money),
  Layer.provideMerge(Infra)
)

const setup = (inventory: ReadonlyArray<bigint>, funded = 100_000n) =>
  Effect.gen(function*() {
    const ledger = yield* LedgerService.LedgerService
    const vtxos = yield* VtxoService.VtxoService
    yield* ledger.ensureAsset(BTC)
    for (const amount of inventory) yield* vtxos.createBatch({ asset_id: "BTC", count: 1, amount_sats: amount })
    if (funded > 0n) yield* ledger.mint({ asset_id: "BTC", user_pubkey: sender, amount: funded })
    const sessions = yield* SessionService.SessionService
    const authorised = (amount: number) =>
      Effect.gen(function*() {
        const s = yield* sessions.create({ user_pubkey: sender, session_type: "p2p_transfer", intent_data: { recipient_pubkey: recipient, amount, asset_id: "BTC" } })
        const { challenge } = yield* sessions.issueChallenge(s.session_id)
        yield* sessions.respond(s.session_id, { signature: bytesToHex(schnorr.sign(challengeMessage(challenge.challenge_data), senderKey)) })
        return s.session_id
      })
    const balances = Effect.all([ledger.balance(sender, "BTC"), ledger.balance(recipient, "BTC")]).pipe(
      Effect.map(([s, r]) => ({ sender: [s.available, s.reserved], recipient: [r.available, r.reserved] }))
    )
    return {
      ledger,
      vtxos,
      sessions,
      ceremonies: yield* CeremonyService.CeremonyService,
      reconciler: yield* Funds.CeremonyReconciler,
      sim: yield* SimulatedArkd.ArkServerSimulator,
      authorised,
      balances
    }
  })

const steps = (ceremonies: CeremonyService.CeremonyService["Type"], id: string, from: number, to: number) =>
  Effect.forEach(Array.from({ length: to - from + 1 }, (_, i) => from + i), (n) => ceremonies.executeStep(id, n), { discard: true })

describe("the ceremony's money side (CeremonyFunds on the ledger and the inventory)", () => {
  it.scoped("a completed ceremony transfers once, spends its input, adopts the change and records the transaction", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised, vtxos } = yield* setup([50_000n])
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      yield* steps(ceremonies, id, 1, 1)
      expect(yield* balances).toEqual({ sender: [80_000n, 20_000n], recipient: [0n, 0n] })
      yield* steps(ceremonies, id, 2, 6)
      expect(yield* balances).toEqual({ sender: [80_000n, 0n], recipient: [20_000n, 0n] })
      const s = yield* ceremonies.status(id)
      const arkTxid = s.ceremony!.artifacts.ark_txid!
      expect(yield* vtxos.list({ status: "spent" })).toMatchObject([{ amount_sats: 50_000n, spending_txid: arkTxid }])
      expect(yield* vtxos.list({ status: "available" })).toMatchObject([{ vtxo_id: `${arkTxid}:1`, amount_sats: 30_000n }])
      const tx = Option.getOrThrow(yield* (yield* TransactionStore).findBySession(id))
      expect(tx).toMatchObject({ txid: arkTxid, status: "broadcast", amount_sats: 20_000n })

      // Finalization run again (a resumed step, a retried hook) moves nothing.
      const funds = yield* CeremonyFunds
      yield* funds.settle(
        { session_id: id, sender_pubkey: sender, recipient_pubkey: recipient, asset_id: "BTC", amount: 20_000n },
        { ark_txid: arkTxid, final_ark_tx: null, inputs: s.ceremony!.artifacts.inputs!, change: { vout: 1, amount: 30_000n, script: s.ceremony!.artifacts.inputs![0]!.script } }
      )
      expect(yield* balances).toEqual({ sender: [80_000n, 0n], recipient: [20_000n, 0n] })
      expect(yield* vtxos.list({ status: "available" })).toHaveLength(1)
    }).pipe(Effect.provide(Env)))

  it.scoped("a ceremony interrupted in finalization and resumed after a restart transfers exactly once", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised } = yield* setup([50_000n])
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      yield* steps(ceremonies, id, 1, 6)
      // A crash after finalization's effects but before its completion was recorded: the step is marked running again.
      yield* (yield* SessionStore).modify(id, (s) => {
        const c = s.ceremony!
        const rewound = { ...s, status: "signing" as const, ceremony: { ...c, status: "running" as const, current_step: 6, finished_at: null, auto: true } }
        return Either.map(Ceremony.beginStep(rewound, 6, 0, true), (d) => [d.session, null] as const)
      })
      const restarted = yield* Layer.build(CeremonyService.layer)
      expect(yield* Effect.flatMap(CeremonyService.CeremonyService, (c) => c.recover()).pipe(Effect.provide(restarted))).toEqual({ resumed: 1, failed: 0 })
      for (let i = 0; i < 200 && (yield* ceremonies.status(id)).status !== "completed"; i++) {
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      }
      expect((yield* ceremonies.status(id)).status).toBe("completed")
      expect(yield* balances).toEqual({ sender: [80_000n, 0n], recipient: [20_000n, 0n] })
    }).pipe(Effect.provide(Env)))

  it.scoped("cancel gives the reservation and the assigned input back", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised, vtxos } = yield* setup([50_000n])
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      yield* steps(ceremonies, id, 1, 3)
      expect((yield* vtxos.list({ status: "assigned" })).map((v) => v.assignment_ref)).toEqual([id])
      yield* ceremonies.cancel(id, "user changed their mind")
      expect(yield* balances).toEqual({ sender: [100_000n, 0n], recipient: [0n, 0n] })
      expect(yield* vtxos.list({ status: "assigned" })).toEqual([])
      expect(yield* vtxos.list({ status: "available" })).toHaveLength(1)
    }).pipe(Effect.provide(Env)))

  it.scoped("a session failed outside the ceremony (or swept) leaves its hold to the reconciler, which releases it once", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised, reconciler, sessions, vtxos } = yield* setup([50_000n])
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      yield* steps(ceremonies, id, 1, 2)
      yield* sessions.fail(id, "operator stopped it")
      expect(yield* balances).toEqual({ sender: [80_000n, 20_000n], recipient: [0n, 0n] })
      expect(yield* reconciler.reconcile()).toBe(1)
      expect(yield* reconciler.reconcile()).toBe(0)
      expect(yield* balances).toEqual({ sender: [100_000n, 0n], recipient: [0n, 0n] })
      expect(yield* vtxos.list({ status: "available" })).toHaveLength(1)
    }).pipe(Effect.provide(Env)))

  it.scoped("arkd failing after the submit: the balance is released but the input arkd still holds is not handed out again", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised, sim, vtxos } = yield* setup([50_000n])
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      yield* steps(ceremonies, id, 1, 5)
      yield* sim.setBehaviour("fail")
      expect((yield* ceremonies.executeStep(id, 6).pipe(Effect.flip))._tag).toBe("CeremonyStepFailed")
      yield* sim.setBehaviour("normal")
      expect(yield* balances).toEqual({ sender: [100_000n, 0n], recipient: [0n, 0n] })
      expect((yield* vtxos.list({ status: "assigned" })).map((v) => v.assignment_ref)).toEqual([id])
      // No transaction was recorded: nothing was finalized.
      expect(Option.isNone(yield* (yield* TransactionStore).findBySession(id))).toBe(true)
    }).pipe(Effect.provide(Env)))

  it.scoped("two ceremonies racing for the one VTXO that covers them: one runs, the other fails cleanly with its hold released", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised } = yield* setup([30_000n])
      const [a, b] = [yield* authorised(20_000), yield* authorised(20_000)]
      yield* Effect.all([ceremonies.start(a, { auto: false }), ceremonies.start(b, { auto: false })])
      const outcomes = yield* Effect.all([a, b].map((id) => steps(ceremonies, id, 1, 6).pipe(Effect.either)), { concurrency: "unbounded" })
      expect(outcomes.filter(Either.isRight)).toHaveLength(1)
      const failed = outcomes.find(Either.isLeft)!.left
      expect(failed).toMatchObject({ _tag: "CeremonyStepFailed", step: 2 })
      expect((failed as { reason: string }).reason).toContain("no inventory VTXO")
      expect(yield* balances).toEqual({ sender: [80_000n, 0n], recipient: [20_000n, 0n] })
    }).pipe(Effect.provide(Env)))

  it.scoped("an unfunded sender fails at intent verification with nothing reserved or assigned", () =>
    Effect.gen(function*() {
      const { balances, ceremonies, authorised, vtxos } = yield* setup([50_000n], 0n)
      const id = yield* authorised(20_000)
      yield* ceremonies.start(id, { auto: false })
      const failed = yield* ceremonies.executeStep(id, 1).pipe(Effect.flip)
      expect(failed).toMatchObject({ _tag: "CeremonyStepFailed", step: 1 })
      expect(yield* balances).toEqual({ sender: [0n, 0n], recipient: [0n, 0n] })
      expect(yield* vtxos.list({ status: "available" })).toHaveLength(1)
    }).pipe(Effect.provide(Env)))
})
