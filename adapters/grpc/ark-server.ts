/**
 * ArkServer over arkd's gRPC API (ark.v1 ArkService + IndexerService), plus
 * arkd's two server streams as resubscribing Effect Streams.
 */
import { Context, Duration, Effect, Layer, Option, Ref, type Schedule, Stream } from "effect"
import { isXOnlyKey, vtxoScript } from "../../core/signing/ark-tx.js"
import {
  type ArkInfo,
  ArkServer,
  type ArkServerError,
  ArkServerUnavailable,
  type ArkVtxo,
  ArkTxRejected
} from "../../ports/ark-server.js"
import { ArkdConnection, DaemonUnreachable } from "../../ports/daemon-connection.js"
import { GetVtxosRequest, IndexerServiceService } from "./gen/ark/v1/indexer.js"
import {
  ArkServiceService,
  FinalizeTxRequest,
  GetEventStreamRequest,
  type GetEventStreamResponse,
  type GetInfoResponse,
  GetTransactionsStreamRequest,
  type GetTransactionsStreamResponse,
  SubmitTxRequest
} from "./gen/ark/v1/service.js"
import * as Transport from "./transport.js"

export interface ArkdSettings {
  readonly host: string
  readonly port: number
  /** arkd's TLS certificate (PEM); without one the channel is plaintext h2c, arkd's default. */
  readonly tlsCertPath: string | undefined
  /** The name arkd's certificate carries, when it does not name `host`. */
  readonly tlsServerName?: string | undefined
  readonly macaroonPath: string | undefined
  /** Deadline of each call; 15 s unless set. */
  readonly callTimeout?: Duration.DurationInput
  /** Pacing of stream resubscription; `Transport.streamBackoff` unless set. */
  readonly resubscribe?: Schedule.Schedule<unknown, unknown>
}

export type ArkdEvent = NonNullable<GetEventStreamResponse["event"]>
export type ArkdTransaction = NonNullable<GetTransactionsStreamResponse["data"]>

/** arkd's server streams; heartbeats are consumed here. Not part of the ArkServer port. */
export class ArkdStreams extends Context.Tag("relaygate/ArkdStreams")<
  ArkdStreams,
  {
    /** Batch (round) events for `topics`; resubscribes after a drop. arkd keeps no history, so events sent while disconnected are gone. */
    readonly events: (topics: ReadonlyArray<string>) => Stream.Stream<ArkdEvent>
    /** Commitment and ark transactions as arkd finalizes them; resubscribes after a drop. */
    readonly transactions: () => Stream.Stream<ArkdTransaction>
  }
>() {}

const PAGE_SIZE = 500
const MAX_PAGES = 1_000

/** arkd reports its signer as a compressed key; the port speaks x-only. */
const xOnly = (key: string): string | undefined => {
  const k = key.toLowerCase()
  const x = k.length === 66 && (k.startsWith("02") || k.startsWith("03")) ? k.slice(2) : k
  return isXOnlyKey(x) ? x : undefined
}

const toArkError = (e: Transport.GrpcCallFailed): ArkServerError =>
  Transport.isRefusal(e)
    ? new ArkTxRejected({ reason: e.details })
    : new ArkServerUnavailable({ reason: e.message, cause: e })

/**
 * Batch rounds against a real arkd need the client half of the round protocol
 * (a BIP-322 intent proof over on-chain inputs, musig2 signing of the VTXO
 * tree, forfeit txs), which this adapter does not have. Refused, so callers
 * see a clear reason instead of a half-joined round; arkd is still probed
 * first so an outage reads as one.
 */
const batchRoundsUnsupported = Effect.fail(
  new ArkTxRejected({ reason: "batch rounds (boarding, settlement) through a real arkd are not supported by this gateway yet" })
)

// arkd answers a stale x-digest with DIGEST_MISMATCH: our view of its parameters is out of date.
const isDigestMismatch = (e: Transport.GrpcCallFailed) => /DIGEST_MISMATCH|invalid digest/i.test(e.details)

export const make = (settings: ArkdSettings) =>
  Effect.gen(function*() {
    const conn = yield* Transport.connect({
      daemon: "arkd",
      host: settings.host,
      port: settings.port,
      security: settings.tlsCertPath === undefined
        ? { _tag: "Plaintext" }
        : { _tag: "Tls", certPath: settings.tlsCertPath, serverName: settings.tlsServerName },
      macaroonPath: settings.macaroonPath,
      callTimeout: settings.callTimeout ?? Duration.seconds(15)
    })
    // The last GetInfo: its digest goes out with every ArkService call, its keys build VTXO scripts.
    const last = yield* Ref.make(Option.none<{ readonly info: ArkInfo; readonly digest: string }>())

    const fetchInfo = Effect.gen(function*() {
      const r: GetInfoResponse = yield* conn.unary(ArkServiceService.getInfo, {}).pipe(Effect.mapError(toArkError))
      const signerPubkey = xOnly(r.signerPubkey)
      if (signerPubkey === undefined) {
        return yield* new ArkServerUnavailable({ reason: `arkd sent signer_pubkey ${JSON.stringify(r.signerPubkey)}, which is not a public key` })
      }
      const info: ArkInfo = { signerPubkey, network: r.network, version: r.version, dust: r.dust, unilateralExitDelay: r.unilateralExitDelay }
      yield* Ref.set(last, Option.some({ info, digest: r.digest }))
      return { info, digest: r.digest }
    })

    const known = Effect.flatMap(Ref.get(last), Option.match({ onNone: () => fetchInfo, onSome: Effect.succeed }))

    const digestHeader = (digest: string): Record<string, string> => (digest === "" ? {} : { "x-digest": digest })

    /** An ArkService call with the current x-digest; a digest mismatch refreshes GetInfo and retries once. */
    const arkCall = <Req, Res>(method: Transport.MethodDef<Req, Res>, request: Req) =>
      Effect.flatMap(known, ({ digest }) =>
        conn.unary(method, request, digestHeader(digest)).pipe(
          Effect.catchIf(isDigestMismatch, () =>
            Effect.flatMap(fetchInfo, (fresh) => conn.unary(method, request, digestHeader(fresh.digest)))),
          Effect.mapError((e) => (e instanceof Transport.GrpcCallFailed ? toArkError(e) : e))
        ))

    const unspentOf = (script: string) =>
      Effect.gen(function*() {
        const found: Array<{ readonly txid: string; readonly vout: number; readonly amount: bigint; readonly script: string; readonly spent: boolean }> = []
        for (let index = 0; index < MAX_PAGES; index++) {
          const r = yield* conn.unary(
            IndexerServiceService.getVtxos,
            GetVtxosRequest.create({ scripts: [script], spendableOnly: true, page: { size: PAGE_SIZE, index } })
          ).pipe(Effect.mapError(toArkError))
          for (const v of r.vtxos) {
            if (v.outpoint === undefined || v.isSpent || v.isSwept || v.isUnrolled) continue
            found.push({ txid: v.outpoint.txid, vout: v.outpoint.vout, amount: v.amount, script: v.script, spent: false })
          }
          const page = r.page
          if (page === undefined || page.next <= page.current || page.next >= page.total) break
          index = page.next - 1
        }
        return found
      })

    const arkServer = ArkServer.of({
      getInfo: Effect.fn("ArkServer.getInfo")(function*() {
        return (yield* fetchInfo).info
      }),
      listVtxos: Effect.fn("ArkServer.listVtxos")(function*(pubkey: string) {
        if (!isXOnlyKey(pubkey)) return yield* new ArkTxRejected({ reason: `${pubkey} is not an x-only public key` })
        const { info } = yield* known
        const owner = pubkey.toLowerCase()
        const script = yield* Effect.try({
          try: () => vtxoScript(owner, info.signerPubkey, info.unilateralExitDelay),
          catch: (e) => new ArkServerUnavailable({ reason: `cannot build VTXO scripts for arkd's parameters: ${e instanceof Error ? e.message : String(e)}` })
        })
        return (yield* unspentOf(script)).map((v): ArkVtxo => ({ ...v, pubkey: owner }))
      }),
      submitTx: Effect.fn("ArkServer.submitTx")(function*(input) {
        const r = yield* arkCall(
          ArkServiceService.submitTx,
          SubmitTxRequest.create({ signedArkTx: input.signedArkTx, checkpointTxs: [...input.checkpointTxs] })
        )
        return { arkTxid: r.arkTxid, finalArkTx: r.finalArkTx, signedCheckpointTxs: r.signedCheckpointTxs }
      }),
      finalizeTx: Effect.fn("ArkServer.finalizeTx")(function*(input) {
        yield* arkCall(
          ArkServiceService.finalizeTx,
          FinalizeTxRequest.create({ arkTxid: input.arkTxid, finalCheckpointTxs: [...input.finalCheckpointTxs] })
        )
      }),
      boardVtxos: Effect.fn("ArkServer.boardVtxos")(function*() {
        yield* fetchInfo
        return yield* batchRoundsUnsupported
      }),
      settleBatch: Effect.fn("ArkServer.settleBatch")(function*() {
        yield* fetchInfo
        return yield* batchRoundsUnsupported
      })
    })

    const connection = ArkdConnection.of({
      daemon: "arkd",
      adapter: "grpc",
      target: conn.target,
      reconnect: () =>
        Effect.gen(function*() {
          yield* Ref.set(last, Option.none())
          yield* conn.reconnect
          yield* fetchInfo
        }).pipe(Effect.mapError((e) => new DaemonUnreachable({ daemon: "arkd", reason: e.reason, cause: e })))
    })

    // Streams carry the digest they were opened with; a resubscription picks up the current one.
    const streams = ArkdStreams.of({
      events: (topics) =>
        Transport.resubscribing(
          "arkd",
          "GetEventStream",
          Effect.map(Effect.option(known), (k) =>
            conn.serverStream(
              ArkServiceService.getEventStream,
              GetEventStreamRequest.create({ topics: [...topics] }),
              Option.match(k, { onNone: () => ({}), onSome: ({ digest }) => digestHeader(digest) })
            ).pipe(Stream.filterMap((m) => Option.fromNullable(m.event)), Stream.filter((e) => e.$case !== "heartbeat"))),
          settings.resubscribe
        ),
      transactions: () =>
        Transport.resubscribing(
          "arkd",
          "GetTransactionsStream",
          Effect.map(Effect.option(known), (k) =>
            conn.serverStream(
              ArkServiceService.getTransactionsStream,
              GetTransactionsStreamRequest.create(),
              Option.match(k, { onNone: () => ({}), onSome: ({ digest }) => digestHeader(digest) })
            ).pipe(Stream.filterMap((m) => Option.fromNullable(m.data)), Stream.filter((d) => d.$case !== "heartbeat"))),
          settings.resubscribe
        )
    })

    return { arkServer, connection, streams }
  })

/** Fails only when the TLS certificate or macaroon file cannot be read; arkd itself may be down. */
export const layer = (settings: ArkdSettings): Layer.Layer<ArkServer | ArkdConnection | ArkdStreams, Transport.GrpcSetupFailed> =>
  Layer.scopedContext(
    Effect.map(make(settings), ({ arkServer, connection, streams }) =>
      Context.make(ArkServer, arkServer).pipe(Context.add(ArkdConnection, connection), Context.add(ArkdStreams, streams)))
  )
