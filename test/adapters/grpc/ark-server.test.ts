import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Context, Effect, Layer, Queue, Schedule, Stream } from "effect"
import * as GatewayKey from "../../../adapters/crypto/gateway-signer.js"
import * as SchnorrNoble from "../../../adapters/crypto/schnorr-noble.js"
import * as GrpcArkd from "../../../adapters/grpc/ark-server.js"
import { GetEventStreamResponse } from "../../../adapters/grpc/gen/ark/v1/service.js"
import * as SimulatedArkd from "../../../adapters/memory/ark-server.js"
import * as MemorySessions from "../../../adapters/memory/session-store.js"
import * as CeremonyService from "../../../core/signing/ceremony.service.js"
import { challengeMessage } from "../../../core/signing/challenge.js"
import * as SessionService from "../../../core/signing/service.js"
import { ArkServer } from "../../../ports/ark-server.js"
import { ArkdConnection } from "../../../ports/daemon-connection.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"
import { arkServerContract } from "../../contracts/ark-server.js"
import { type FakeArkd, fakeArkd } from "../../support/fake-arkd.js"
import { canMakeCertificates, type DaemonCredentials, throwawayCredentials } from "../../support/tls.js"

/** A simulated arkd behind the fake gRPC server, with the context the fake serves. */
const simulatedArkd = Effect.map(SimulatedArkd.make(), (sim) => ({
  ...sim,
  context: Context.make(ArkServer, sim.arkServer).pipe(Context.add(SimulatedArkd.ArkServerSimulator, sim.simulator))
}))

const clientSettings = (fake: FakeArkd, creds: DaemonCredentials | undefined, overrides: Partial<GrpcArkd.ArkdSettings> = {}): GrpcArkd.ArkdSettings => ({
  host: "127.0.0.1",
  port: fake.port,
  tlsCertPath: creds?.certPath,
  macaroonPath: creds?.macaroonPath,
  resubscribe: Schedule.spaced("50 millis"),
  ...overrides
})

/** The gRPC adapter against a fake arkd; the simulator's controls stay reachable for the contract. */
const overGrpc = (secure: boolean) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const sim = yield* simulatedArkd
    const creds = secure ? yield* throwawayCredentials : undefined
    const fake = yield* fakeArkd(creds === undefined ? {} : { tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(sim.context))
    return GrpcArkd.layer(clientSettings(fake, creds)).pipe(
      Layer.merge(Layer.succeed(SimulatedArkd.ArkServerSimulator, sim.simulator)),
      Layer.orDie
    )
  }))

arkServerContract("gRPC arkd, plaintext h2c", overGrpc(false), { batchRounds: false })
describe.runIf(canMakeCertificates)("with TLS", () => {
  arkServerContract("gRPC arkd, TLS + macaroon", overGrpc(true), { batchRounds: false })
})

/** A fake arkd on a simulator, and the adapter's services built against it, in the test's scope. */
const started = (options: { readonly secure?: boolean; readonly client?: (fake: FakeArkd, creds: DaemonCredentials | undefined) => GrpcArkd.ArkdSettings } = {}) =>
  Effect.gen(function*() {
    const sim = yield* simulatedArkd
    const creds = options.secure === true ? yield* throwawayCredentials : undefined
    const fake = yield* fakeArkd(creds === undefined ? {} : { tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(sim.context))
    const client = yield* Layer.build(GrpcArkd.layer((options.client ?? clientSettings)(fake, creds)))
    return { sim, fake, creds, client }
  })

describe("gRPC arkd adapter", () => {
  it.scoped("boarding and settlement are refused with a reason, after checking arkd answers", () =>
    Effect.gen(function*() {
      const { client, sim } = yield* started()
      const ark = Context.get(client, ArkServer)
      const board = yield* ark.boardVtxos({ ownerPubkey: bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey())), amounts: [1_000n] }).pipe(Effect.flip)
      expect(board).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/batch rounds/) })
      yield* sim.simulator.setBehaviour("fail")
      expect((yield* ark.settleBatch({ vtxos: [] }).pipe(Effect.flip))._tag).toBe("ArkServerUnavailable")
    }))

  it.scoped("a stale x-digest is refreshed from GetInfo and the call goes through", () =>
    Effect.gen(function*() {
      const { client, fake, sim } = yield* started()
      const ark = Context.get(client, ArkServer)
      const gateway = yield* GatewayKey.make(yield* GatewayKey.generatePrivateKey())
      yield* sim.simulator.fund(gateway.pubkey, 9_000n)
      yield* ark.getInfo()
      yield* fake.rotateDigest
      // An unknown txid is refused by arkd itself, which proves the digest guard let the call through.
      const refused = yield* ark.finalizeTx({ arkTxid: "00".repeat(32), finalCheckpointTxs: [] }).pipe(Effect.flip)
      expect(refused).toMatchObject({ _tag: "ArkTxRejected", reason: expect.stringMatching(/never submitted/) })
      expect((yield* fake.calls).get("GetInfo")).toBe(2)
      expect((yield* fake.calls).get("FinalizeTx")).toBe(2)
    }))

  it.scoped("ArkService calls carry the digest from the first GetInfo even when nothing asked for it", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* started()
      yield* Context.get(client, ArkServer).finalizeTx({ arkTxid: "00".repeat(32), finalCheckpointTxs: [] }).pipe(Effect.flip)
      expect(yield* fake.calls).toEqual(new Map([["GetInfo", 1], ["FinalizeTx", 1]]))
    }))

  it.scoped.runIf(canMakeCertificates)("TLS: a certificate the client does not trust makes arkd unavailable", () =>
    Effect.gen(function*() {
      const other = yield* throwawayCredentials
      const { client } = yield* started({ secure: true, client: (fake, creds) => clientSettings(fake, creds, { tlsCertPath: other.certPath }) })
      const e = yield* Context.get(client, ArkServer).getInfo().pipe(Effect.flip)
      expect(e._tag).toBe("ArkServerUnavailable")
    }))

  it.scoped.runIf(canMakeCertificates)("macaroon: a wrong macaroon makes arkd unavailable with the daemon's reason", () =>
    Effect.gen(function*() {
      const other = yield* throwawayCredentials
      const { client } = yield* started({ secure: true, client: (fake, creds) => clientSettings(fake, creds, { macaroonPath: other.macaroonPath }) })
      const e = yield* Context.get(client, ArkServer).getInfo().pipe(Effect.flip)
      expect(e).toMatchObject({ _tag: "ArkServerUnavailable", reason: expect.stringMatching(/verification failed/) })
    }))

  it.scoped("an unreadable certificate file fails the layer, naming the file", () =>
    Effect.gen(function*() {
      const e = yield* Layer.build(GrpcArkd.layer({ host: "127.0.0.1", port: 1, tlsCertPath: "/nonexistent/tls.cert", macaroonPath: undefined })).pipe(Effect.flip)
      expect(e.message).toMatch(/cannot read TLS certificate \/nonexistent\/tls.cert/)
    }))

  it.live("reconnect re-dials and checks arkd answers; while arkd is down it reports why", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* started()
      const connection = Context.get(client, ArkdConnection)
      expect(connection).toMatchObject({ adapter: "grpc", target: `127.0.0.1:${fake.port}` })
      yield* connection.reconnect()
      yield* fake.stop
      const down = yield* connection.reconnect().pipe(Effect.flip)
      expect(down).toMatchObject({ _tag: "DaemonUnreachable", daemon: "arkd", reason: expect.stringMatching(/UNAVAILABLE/) })
      yield* fake.start
      yield* connection.reconnect()
      expect((yield* Context.get(client, ArkServer).getInfo()).network).toBe("regtest")
    }).pipe(Effect.scoped))

  it.live("GetEventStream resubscribes after arkd restarts; heartbeats stay inside the adapter", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* started()
      const batch = (id: string) => GetEventStreamResponse.create({ event: { $case: "batchStarted", value: { id, intentIdHashes: [], batchExpiry: 0n } } })
      const received = yield* Queue.unbounded<GrpcArkd.ArkdEvent>()
      yield* Context.get(client, GrpcArkd.ArkdStreams).events(["topic"]).pipe(
        Stream.runForEach((e) => Queue.offer(received, e)),
        Effect.forkScoped
      )
      // StreamStarted means the subscription is live.
      expect((yield* Queue.take(received)).$case).toBe("streamStarted")
      yield* fake.publishEvent(batch("one"))
      expect(yield* Queue.take(received)).toMatchObject({ $case: "batchStarted", value: { id: "one" } })

      yield* fake.stop
      yield* fake.start
      expect((yield* Queue.take(received)).$case).toBe("streamStarted")
      yield* fake.publishEvent(GetEventStreamResponse.create({ event: { $case: "heartbeat", value: {} } }))
      yield* fake.publishEvent(batch("two"))
      expect(yield* Queue.take(received)).toMatchObject({ $case: "batchStarted", value: { id: "two" } })
      expect((yield* fake.calls).get("GetEventStream")).toBe(2)
    }).pipe(Effect.scoped))
})

const userKey = schnorr.utils.randomSecretKey()
const user = bytesToHex(schnorr.getPublicKey(userKey))

describe("a ceremony over gRPC when arkd dies", () => {
  it.live("fails that ceremony cleanly, and the next one succeeds once arkd is back", () =>
    Effect.gen(function*() {
      const { sim, fake, client } = yield* started()
      const gatewayKey = yield* GatewayKey.generatePrivateKey()
      const gateway = yield* GatewayKey.make(gatewayKey)
      const funded = yield* sim.simulator.fund(gateway.pubkey, 50_000n)
      const services = yield* Layer.build(
        Layer.mergeAll(SessionService.layer({ sessionTtlMs: 30 * 60_000, challengeTtlMs: 5 * 60_000 }), CeremonyService.layer).pipe(
          Layer.provideMerge(Layer.mergeAll(MemorySessions.layer, SchnorrNoble.layer, Layer.succeed(GatewaySigner, gateway))),
          Layer.provide(Layer.succeedContext(client))
        )
      )
      const sessions = Context.get(services, SessionService.SessionService)
      const ceremonies = Context.get(services, CeremonyService.CeremonyService)
      const authorised = Effect.gen(function*() {
        const recipient = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
        const s = yield* sessions.create({ user_pubkey: user, session_type: "p2p_transfer", intent_data: { recipient_pubkey: recipient, amount: 20_000, asset_id: "BTC" } })
        const { challenge } = yield* sessions.issueChallenge(s.session_id)
        yield* sessions.respond(s.session_id, { signature: bytesToHex(schnorr.sign(challengeMessage(challenge.challenge_data), userKey)) })
        return s.session_id
      })

      const first = yield* authorised
      yield* ceremonies.start(first, { auto: false })
      for (const step of [1, 2, 3, 4]) yield* ceremonies.executeStep(first, step)
      yield* fake.stop
      const failed = yield* ceremonies.executeStep(first, 5).pipe(Effect.flip)
      expect(failed).toMatchObject({ _tag: "CeremonyStepFailed", step: 5, reason: expect.stringMatching(/^arkd unavailable/) })
      const after = yield* ceremonies.status(first)
      expect(after.status).toBe("failed")
      expect(after.ceremony).toMatchObject({ status: "failed" })
      // Nothing reached arkd: the gateway's VTXO is neither spent nor reserved.
      expect((yield* sim.simulator.vtxos()).filter((v) => v.spent)).toEqual([])

      yield* fake.start
      const ark = Context.get(client, ArkServer)
      // The channel notices on its own that arkd is back; the first call after the outage may still see it down.
      yield* Effect.retry(ark.getInfo(), Schedule.spaced("100 millis").pipe(Schedule.compose(Schedule.recurs(50))))
      expect(yield* ark.listVtxos(gateway.pubkey)).toEqual([funded])

      const second = yield* authorised
      yield* ceremonies.start(second, { auto: false })
      for (const step of [1, 2, 3, 4, 5, 6]) yield* ceremonies.executeStep(second, step)
      const done = yield* ceremonies.status(second)
      expect(done.status).toBe("completed")
      expect((yield* sim.simulator.vtxos()).find((v) => v.txid === funded.txid)?.spent).toBe(true)
    }).pipe(Effect.scoped), 20_000)
})
