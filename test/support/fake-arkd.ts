/**
 * arkd's ark.v1 ArkService + IndexerService served over gRPC by the simulated
 * arkd (adapters/memory/ark-server.ts), so the gRPC adapter can be driven by
 * the same ArkServer contract as the simulator. Like arkd it reports a
 * compressed signer key and guards ArkService calls with the x-digest header.
 */
import * as grpc from "@grpc/grpc-js"
import { Effect, PubSub, Ref, type Scope, Stream } from "effect"
import { ArkServerSimulator } from "../../adapters/memory/ark-server.js"
import { type GetVtxosResponse, IndexerServiceService, IndexerVtxo } from "../../adapters/grpc/gen/ark/v1/indexer.js"
import {
  ArkServiceService,
  FinalizeTxResponse,
  GetEventStreamResponse,
  GetInfoResponse,
  GetTransactionsStreamResponse,
  SubmitTxResponse
} from "../../adapters/grpc/gen/ark/v1/service.js"
import { ArkServer, type ArkServerError } from "../../ports/ark-server.js"
import { type FakeServer, type FakeServerOptions, serve, status } from "./fake-daemon.js"

export interface FakeArkd extends FakeServer {
  /** arkd changed its parameters: the old x-digest is refused from now on. */
  readonly rotateDigest: Effect.Effect<void>
  /** Pushes a batch event to every open GetEventStream. */
  readonly publishEvent: (event: GetEventStreamResponse) => Effect.Effect<void>
  /** Calls answered so far, by method name. */
  readonly calls: Effect.Effect<ReadonlyMap<string, number>>
}

const grpcStatusOf = (e: ArkServerError) =>
  e._tag === "ArkServerUnavailable" ? status(grpc.status.UNAVAILABLE, e.reason) : status(grpc.status.INVALID_ARGUMENT, e.reason)

/** Serves the ArkServer and ArkServerSimulator in context (the simulated arkd) on 127.0.0.1. */
export const fakeArkd = (options: FakeServerOptions = {}): Effect.Effect<FakeArkd, never, ArkServer | ArkServerSimulator | Scope.Scope> =>
  Effect.gen(function*() {
    const ark = yield* ArkServer
    const sim = yield* ArkServerSimulator
    const digest = yield* Ref.make(1)
    const calls = yield* Ref.make(new Map<string, number>())
    const events = yield* PubSub.unbounded<GetEventStreamResponse>()

    const count = (method: string) => Ref.update(calls, (m) => new Map(m).set(method, (m.get(method) ?? 0) + 1))
    const digestOf = (n: number) => `digest-${n}`
    const guarded = (method: string, metadata: grpc.Metadata) =>
      Effect.gen(function*() {
        yield* count(method)
        const expected = digestOf(yield* Ref.get(digest))
        if (metadata.get("x-digest")[0] !== expected) {
          return yield* status(grpc.status.FAILED_PRECONDITION, "DIGEST_MISMATCH (45): invalid digest header")
        }
      })
    const daemon = <A>(effect: Effect.Effect<A, ArkServerError>) => Effect.mapError(effect, grpcStatusOf)

    const server = yield* serve((h) => [
      [ArkServiceService, {
        getInfo: h.unary(() =>
          Effect.gen(function*() {
            yield* count("GetInfo")
            const info = yield* daemon(ark.getInfo())
            return GetInfoResponse.create({
              version: info.version,
              signerPubkey: `02${info.signerPubkey}`,
              network: info.network,
              dust: info.dust,
              unilateralExitDelay: info.unilateralExitDelay,
              digest: digestOf(yield* Ref.get(digest))
            })
          })),
        submitTx: h.unary((req: { signedArkTx: string; checkpointTxs: Array<string> }, md) =>
          Effect.gen(function*() {
            yield* guarded("SubmitTx", md)
            const r = yield* daemon(ark.submitTx({ signedArkTx: req.signedArkTx, checkpointTxs: req.checkpointTxs }))
            return SubmitTxResponse.create({ arkTxid: r.arkTxid, finalArkTx: r.finalArkTx, signedCheckpointTxs: [...r.signedCheckpointTxs] })
          })),
        finalizeTx: h.unary((req: { arkTxid: string; finalCheckpointTxs: Array<string> }, md) =>
          Effect.gen(function*() {
            yield* guarded("FinalizeTx", md)
            yield* daemon(ark.finalizeTx({ arkTxid: req.arkTxid, finalCheckpointTxs: req.finalCheckpointTxs }))
            return FinalizeTxResponse.create()
          })),
        getEventStream: h.stream((_req, send: (m: GetEventStreamResponse) => void, md) =>
          Effect.gen(function*() {
            yield* guarded("GetEventStream", md)
            // Subscribed before StreamStarted goes out, so a client that saw it misses nothing published after.
            const subscription = yield* PubSub.subscribe(events)
            send(GetEventStreamResponse.create({ event: { $case: "streamStarted", value: { id: `stream-${yield* count("StreamStarted").pipe(Effect.as(Date.now()))}` } } }))
            yield* Stream.fromQueue(subscription).pipe(Stream.runForEach((e) => Effect.sync(() => send(e))))
          }).pipe(Effect.scoped)),
        getTransactionsStream: h.stream((_req, _send: (m: GetTransactionsStreamResponse) => void, md) =>
          Effect.zipRight(guarded("GetTransactionsStream", md), Effect.never))
      }],
      [IndexerServiceService, {
        getVtxos: h.unary((req: { scripts: Array<string> }) =>
          Effect.gen(function*() {
            yield* count("GetVtxos")
            yield* daemon(ark.getInfo())
            // The simulator lists by owner key; the owner of a script is whoever a VTXO with it belongs to.
            const all = yield* sim.vtxos()
            const owners = new Set(all.filter((v) => req.scripts.includes(v.script)).map((v) => v.pubkey))
            const found = (yield* Effect.forEach([...owners], (o) => daemon(ark.listVtxos(o)))).flat()
            return {
              vtxos: found.map((v) => IndexerVtxo.create({ outpoint: { txid: v.txid, vout: v.vout }, amount: v.amount, script: v.script, isSpent: v.spent })),
              page: undefined
            } satisfies GetVtxosResponse
          }))
      }]
    ], options)

    return {
      ...server,
      rotateDigest: Ref.update(digest, (n) => n + 1),
      publishEvent: (e) => Effect.asVoid(PubSub.publish(events, e)),
      calls: Ref.get(calls)
    }
  })
