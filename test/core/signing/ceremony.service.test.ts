import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Context, Effect, Either, Layer, Option, TestClock } from "effect"
import * as GatewayKey from "../../../adapters/crypto/gateway-signer.js"
import * as SchnorrNoble from "../../../adapters/crypto/schnorr-noble.js"
import * as SimulatedArkd from "../../../adapters/memory/ark-server.js"
import * as MemorySessions from "../../../adapters/memory/session-store.js"
import * as Ceremony from "../../../core/signing/ceremony.machine.js"
import * as CeremonyService from "../../../core/signing/ceremony.service.js"
import { challengeMessage } from "../../../core/signing/challenge.js"
import * as SessionService from "../../../core/signing/service.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"
import { SessionStore } from "../../../ports/session-store.js"
import { eventually } from "../../support/eventually.js"

const userKey = schnorr.utils.randomSecretKey()
const user = bytesToHex(schnorr.getPublicKey(userKey))
const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
const sign = (data: string) => bytesToHex(schnorr.sign(challengeMessage(data), userKey))

/** Everything below the HTTP edge: memory store, reference verifier, a gateway key funded on the simulated arkd. */
const Infra = Layer.mergeAll(MemorySessions.layer, SchnorrNoble.layer, SimulatedArkd.layer()).pipe(
  Layer.provideMerge(Layer.effect(GatewaySigner, Effect.flatMap(GatewayKey.generatePrivateKey(), GatewayKey.make))),
  Layer.tap((ctx) =>
    Effect.gen(function*() {
      const sim = yield* SimulatedArkd.ArkServerSimulator
      yield* sim.fund(Context.get(ctx, GatewaySigner).pubkey, 50_000n)
    }).pipe(Effect.provide(ctx)))
)
const settings = { sessionTtlMs: 30 * 60_000, challengeTtlMs: 5 * 60_000 }
const Sessions = SessionService.layer(settings)

/** A session whose signature was verified, ready for the ceremony. */
const authorised = Effect.gen(function*() {
  const sessions = yield* SessionService.SessionService
  const s = yield* sessions.create({
    user_pubkey: user,
    session_type: "p2p_transfer",
    intent_data: { recipient_pubkey: recipient, amount: 20_000, asset_id: "BTC" }
  })
  const { challenge } = yield* sessions.issueChallenge(s.session_id)
  yield* sessions.respond(s.session_id, { signature: sign(challenge.challenge_data) })
  return s.session_id
})

/**
 * What a crash leaves behind: a ceremony whose step was marked running by a
 * process that then died, written straight into the store.
 */
const crashedMidStep = (sessionId: string, auto: boolean, step: number) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const ceremonies = yield* CeremonyService.CeremonyService
    yield* ceremonies.start(sessionId, { auto: false })
    for (let n = 1; n < step; n++) yield* ceremonies.executeStep(sessionId, n)
    yield* store.modify(sessionId, (s) =>
      Either.map(Ceremony.beginStep({ ...s, ceremony: { ...s.ceremony!, auto } }, step, 0), (d) => [d.session, null] as const))
  })

const waitForEnd = (sessionId: string) =>
  Effect.flatMap(SessionStore, (store) =>
    eventually(Effect.map(store.get(sessionId), Option.getOrThrow), (s) => s.ceremony?.status !== "running", `ceremony of ${sessionId} ended`))

describe("SessionService", () => {
  it.effect("of 20 concurrent valid responses to one challenge exactly one is accepted", () =>
    Effect.gen(function*() {
      const sessions = yield* SessionService.SessionService
      const s = yield* sessions.create({
        user_pubkey: user,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient, amount: 1, asset_id: "BTC" }
      })
      const { challenge } = yield* sessions.issueChallenge(s.session_id)
      const signature = sign(challenge.challenge_data)
      const results = yield* Effect.all(
        Array.from({ length: 20 }, () => Effect.either(sessions.respond(s.session_id, { signature }))),
        { concurrency: "unbounded" }
      )
      expect(results.filter(Either.isRight)).toHaveLength(1)
      const tags = results.filter(Either.isLeft).map((r) => r.left._tag)
      expect(new Set(tags)).toEqual(new Set(["ChallengeAlreadyUsed"]))
    }).pipe(Effect.provide(Sessions.pipe(Layer.provideMerge(Infra)))))
})

describe("CeremonyService after a restart", () => {
  const Both = Layer.mergeAll(Sessions, CeremonyService.layer).pipe(Layer.provideMerge(Infra))

  it.scoped("an auto ceremony interrupted mid-step is resumed and completes", () =>
    Effect.gen(function*() {
      const id = yield* authorised
      yield* crashedMidStep(id, true, 3)
      // A new CeremonyService over the same store and daemons is the restarted process.
      const restarted = yield* Layer.build(CeremonyService.layer)
      const recovered = yield* CeremonyService.CeremonyService.pipe(
        Effect.flatMap((c) => c.recover()),
        Effect.provide(restarted)
      )
      expect(recovered).toEqual({ resumed: 1, failed: 0 })
      const done = yield* waitForEnd(id)
      expect(done.status).toBe("completed")
      expect(done.ceremony!.steps[2]!.attempts).toBe(2)
      expect(done.result_data).toMatchObject({ amount: 20_000, recipient_pubkey: recipient })
    }).pipe(Effect.provide(Both)))

  it.scoped("a manual ceremony interrupted mid-step has that step re-run and then waits for the client", () =>
    Effect.gen(function*() {
      const id = yield* authorised
      yield* crashedMidStep(id, false, 2)
      const restarted = yield* Layer.build(CeremonyService.layer)
      const ceremonies = yield* Effect.provide(CeremonyService.CeremonyService, restarted)
      expect(yield* ceremonies.recover()).toEqual({ resumed: 1, failed: 0 })
      const store = yield* SessionStore
      for (let i = 0; i < 200 && Option.getOrThrow(yield* store.get(id)).ceremony!.current_step === 2; i++) {
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      }
      const s = Option.getOrThrow(yield* store.get(id))
      expect(s.ceremony).toMatchObject({ status: "running", current_step: 3 })
      expect(s.status).toBe("signing")
    }).pipe(Effect.provide(Both)))

  it.scoped("a ceremony found past its deadline at start-up is failed, never left signing", () =>
    Effect.gen(function*() {
      const id = yield* authorised
      yield* crashedMidStep(id, true, 2)
      yield* TestClock.adjust("6 minutes")
      const restarted = yield* Layer.build(CeremonyService.layer)
      const ceremonies = yield* Effect.provide(CeremonyService.CeremonyService, restarted)
      expect(yield* ceremonies.recover()).toEqual({ resumed: 0, failed: 1 })
      const s = Option.getOrThrow(yield* (yield* SessionStore).get(id))
      expect(s.status).toBe("failed")
      expect(s.ceremony!.error).toContain("timed out")
    }).pipe(Effect.provide(Both)))
})
