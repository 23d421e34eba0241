import { Comet38Client, type RpcClient } from "@cosmjs/tendermint-rpc"
import { Chunk, Deferred, Duration, Effect, Exit, Layer, Queue, Schedule, type Scope, Stream } from "effect"
import WebSocket from "ws"
import { type Listener, Stream as XStream } from "xstream"
import { PACKET_EVENT_TYPES } from "../../core/clearing/events.js"
import type { ChainHead, ChainTx, TxEvent } from "../../core/clearing/model.js"
import { bytesToHex } from "../../core/shared/hex.js"
import { type ChainEvent, ChainEvents, ChainEventsUnavailable } from "../../ports/chain-events.js"
import * as Breaker from "../resilience/breaker.js"

/*
 * ChainEvents over CometBFT 0.38 RPC, decoded by @cosmjs/tendermint-rpc's
 * Comet38Client. The websocket underneath is ours, not cosmjs's: its
 * WebsocketClient reconnects silently without renewing subscriptions (so a
 * dropped socket just goes quiet) and even reconnects after `disconnect()`.
 * Here a connection lives exactly as long as its scope, and any drop fails the
 * subscription stream so that the caller reconnects and backfills.
 */

export interface CometChain {
  readonly chain_id: string
  /** COMETBFT_RPC_<CHAIN>: `http(s)://host:26657` or `ws(s)://host:26657`; `/websocket` is appended. */
  readonly url: string
}

export interface CometSettings {
  readonly chains: ReadonlyArray<CometChain>
  /** Per RPC call and for opening the socket. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How often a live connection is probed with `status` (which also refreshes the head). */
  readonly heartbeat?: Duration.DurationInput | undefined
  /** Live events held for a slow consumer before the connection is given up (backfill recovers them). */
  readonly bufferSize?: number | undefined
  /** Heights per tx_search window during backfill. */
  readonly backfillWindow?: number | undefined
}

type JsonRpcRequest = Parameters<RpcClient["execute"]>[0]
type JsonRpcSuccess = Awaited<ReturnType<RpcClient["execute"]>>
type RpcId = JsonRpcRequest["id"]

/** `http://h:26657` → `ws://h:26657/websocket`. */
export const websocketUrl = (url: string): string => {
  const base = url.replace(/^http(s?):\/\//i, "ws$1://").replace(/\/+$/, "")
  return base.endsWith("/websocket") ? base : `${base}/websocket`
}

/**
 * A JSON-RPC 2.0 client over one websocket, in the shape Comet38Client needs.
 * Subscription events reuse the subscribe request's id; when the socket
 * closes every pending call is rejected and every subscription errors.
 */
class CometSocket {
  private readonly pending = new Map<RpcId, { resolve: (r: JsonRpcSuccess) => void; reject: (e: Error) => void }>()
  private readonly listeners = new Map<RpcId, Listener<unknown>>()
  private closed: Error | undefined
  private readonly closeHandlers: Array<(e: Error) => void> = []

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (raw) => this.onMessage(String(raw)))
    ws.on("close", (code, reason) => this.onClose(new Error(`socket closed (${code}${reason.length > 0 ? ` ${String(reason)}` : ""})`)))
    ws.on("error", (e) => this.onClose(e instanceof Error ? e : new Error(String(e))))
  }

  static open(url: string, timeoutMs: number): Promise<CometSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs })
      const fail = (e: unknown) => {
        ws.removeAllListeners()
        ws.on("error", () => {})
        ws.terminate()
        reject(e instanceof Error ? e : new Error(String(e)))
      }
      ws.once("error", fail)
      ws.once("unexpected-response", (_req, res) => fail(new Error(`unexpected HTTP ${res.statusCode}`)))
      ws.once("open", () => {
        ws.removeAllListeners()
        resolve(new CometSocket(ws))
      })
    })
  }

  onClosed(handler: (e: Error) => void): void {
    if (this.closed !== undefined) handler(this.closed)
    else this.closeHandlers.push(handler)
  }

  private onMessage(text: string) {
    let msg: { id?: RpcId; result?: { query?: unknown }; error?: unknown }
    try {
      msg = JSON.parse(text)
    } catch {
      return
    }
    if (msg.id === undefined) return
    const call = this.pending.get(msg.id)
    if (call !== undefined) {
      this.pending.delete(msg.id)
      if (msg.error !== undefined) call.reject(new Error(JSON.stringify(msg.error)))
      else call.resolve(msg as JsonRpcSuccess)
      return
    }
    const listener = this.listeners.get(msg.id)
    if (listener === undefined) return
    if (msg.error !== undefined) listener.error(new Error(JSON.stringify(msg.error)))
    // The subscribe acknowledgement (`result: {}`) carries no query and is not an event.
    else if (msg.result?.query !== undefined) listener.next(msg.result)
  }

  private onClose(e: Error) {
    if (this.closed !== undefined) return
    this.closed = e
    for (const call of this.pending.values()) call.reject(e)
    this.pending.clear()
    for (const l of this.listeners.values()) l.error(e)
    this.listeners.clear()
    for (const h of this.closeHandlers) h(e)
  }

  private send(request: JsonRpcRequest) {
    this.ws.send(JSON.stringify(request))
  }

  readonly execute = (request: JsonRpcRequest): Promise<JsonRpcSuccess> =>
    new Promise((resolve, reject) => {
      if (this.closed !== undefined) return reject(this.closed)
      this.pending.set(request.id, { resolve, reject })
      this.send(request)
    })

  readonly listen = (request: JsonRpcRequest): XStream<unknown> =>
    XStream.create({
      start: (listener) => {
        if (this.closed !== undefined) return listener.error(this.closed)
        this.listeners.set(request.id, listener)
        this.send(request)
      },
      stop: () => {
        this.listeners.delete(request.id)
        if (this.closed === undefined) this.send({ ...request, method: "unsubscribe" })
      }
    })

  readonly disconnect = (): void => {
    this.onClose(new Error("disconnected"))
    this.ws.removeAllListeners()
    this.ws.on("error", () => {})
    this.ws.close(1000)
    // A peer that never answers the close frame must not keep the socket open.
    setTimeout(() => this.ws.terminate(), 1_000).unref()
  }
}

const upperHex = (b: Uint8Array) => bytesToHex(b).toUpperCase()

const eventsOf = (events: ReadonlyArray<{ readonly type: string; readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: string }> }>): ReadonlyArray<TxEvent> =>
  events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value })) }))

const TIME_CACHE = 2_048

export const make = (settings: CometSettings) =>
  Effect.gen(function*() {
    const breakers = new Map<string, Breaker.Breaker>()
    for (const c of settings.chains) breakers.set(c.chain_id, yield* Breaker.registered(`cometbft:${c.chain_id}`))
    const timeoutMs = Duration.toMillis(settings.requestTimeout ?? "10 seconds")
    const heartbeat = settings.heartbeat ?? "30 seconds"
    const bufferSize = settings.bufferSize ?? 10_000
    const window = Math.max(1, settings.backfillWindow ?? 1_000)
    const urls = new Map(settings.chains.map((c) => [c.chain_id, c.url]))

    const unavailable = (chainId: string, reason: string) => (cause: unknown) =>
      new ChainEventsUnavailable({ chain_id: chainId, reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })

    /** A Comet38Client over a fresh socket, closed with the scope. */
    const connect = (chainId: string) =>
      Effect.gen(function*() {
        const url = urls.get(chainId)
        if (url === undefined) {
          return yield* Effect.fail(new ChainEventsUnavailable({ chain_id: chainId, reason: "no CometBFT RPC configured for this chain" }))
        }
        const breaker = breakers.get(chainId)!
        const guarded = { isOutage: () => true, onOpen: (open: Breaker.BreakerOpen) => new ChainEventsUnavailable({ chain_id: chainId, reason: open.message, cause: open }) }
        const socket = yield* Effect.acquireRelease(
          breaker.guard(
            Effect.tryPromise({ try: () => CometSocket.open(websocketUrl(url), timeoutMs), catch: unavailable(chainId, "cannot connect") }),
            guarded
          ),
          (s) => Effect.sync(() => s.disconnect())
        )
        const client = Comet38Client.create({ execute: socket.execute, disconnect: socket.disconnect, listen: socket.listen } as RpcClient)
        const times = new Map<number, number>()
        const call = <A>(what: string, f: () => Promise<A>) =>
          Effect.tryPromise({ try: f, catch: unavailable(chainId, what) }).pipe(
            Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new ChainEventsUnavailable({ chain_id: chainId, reason: `${what}: timed out` }) }),
            (call) => breaker.guard(call, guarded)
          )
        /** Block time of a height; tx events do not carry it. */
        const blockTime = (height: number) =>
          times.has(height) ? Effect.succeed(times.get(height)!) : call("blockchain", () => client.blockchain(height, height)).pipe(
            Effect.flatMap((r) => {
              const meta = r.blockMetas.find((m) => m.header.height === height)
              if (meta === undefined) return Effect.fail(new ChainEventsUnavailable({ chain_id: chainId, reason: `no header for height ${height}` }))
              const t = meta.header.time.getTime()
              if (times.size >= TIME_CACHE) times.delete(times.keys().next().value!)
              times.set(height, t)
              return Effect.succeed(t)
            })
          )
        const head = call("status", () => client.status()).pipe(
          Effect.flatMap((s) =>
            s.nodeInfo.network === chainId
              ? Effect.succeed<ChainHead>({ chain_id: chainId, height: s.syncInfo.latestBlockHeight, time: s.syncInfo.latestBlockTime.getTime() })
              : Effect.fail(new ChainEventsUnavailable({ chain_id: chainId, reason: `${url} serves ${s.nodeInfo.network}, not ${chainId}` }))
          )
        )
        return { socket, client, call, blockTime, head }
      })

    type Raw = { readonly _tag: "RawTx"; readonly hash: Uint8Array; readonly height: number; readonly code: number; readonly events: ReadonlyArray<TxEvent> } | ChainEvent

    const subscribe = (chainId: string): Effect.Effect<{ head: ChainHead; events: Stream.Stream<ChainEvent, ChainEventsUnavailable> }, ChainEventsUnavailable, Scope.Scope> =>
      Effect.gen(function*() {
        const conn = yield* connect(chainId)
        const queue = yield* Queue.bounded<Raw>(bufferSize)
        const lost = yield* Deferred.make<never, ChainEventsUnavailable>()
        const drop = (reason: string) => Deferred.unsafeDone(lost, Exit.fail(new ChainEventsUnavailable({ chain_id: chainId, reason })))
        conn.socket.onClosed((e) => drop(`connection lost: ${e.message}`))
        const listener: Listener<{ hash: Uint8Array; height: number; result: { code: number; events: ReadonlyArray<{ type: string; attributes: ReadonlyArray<{ key: string; value: string }> }> } }> = {
          next: (ev) => {
            if (!Queue.unsafeOffer(queue, { _tag: "RawTx", hash: ev.hash, height: ev.height, code: ev.result.code, events: eventsOf(ev.result.events) })) {
              drop("consumer too slow; live events overflowed")
            }
          },
          error: (e) => drop(`subscription failed: ${e instanceof Error ? e.message : String(e)}`),
          complete: () => drop("subscription ended")
        }
        // Subscribe first, then ask for the head on the same socket: CometBFT answers in
        // order, so every tx above the head reaches the subscription.
        const txs = conn.client.subscribeTx()
        yield* Effect.acquireRelease(Effect.sync(() => txs.addListener(listener)), () => Effect.sync(() => txs.removeListener(listener)))
        const head = yield* Effect.raceFirst(conn.head, Deferred.await(lost))
        yield* conn.head.pipe(
          Effect.flatMap((h) => Queue.offer(queue, { _tag: "Head", head: h })),
          Effect.repeat(Schedule.spaced(heartbeat)),
          Effect.delay(heartbeat),
          Effect.catchAll((e) => Effect.sync(() => drop(`heartbeat failed: ${e.reason}`))),
          Effect.forkScoped
        )
        const toEvent = (raw: Raw): Effect.Effect<ChainEvent, ChainEventsUnavailable> =>
          raw._tag !== "RawTx"
            ? Effect.succeed(raw)
            : Effect.map(conn.blockTime(raw.height), (time) => ({
              _tag: "Tx" as const,
              tx: { chain_id: chainId, height: raw.height, time, hash: upperHex(raw.hash), code: raw.code, events: raw.events }
            }))
        // Chunk by chunk: a block's txs arrive together and stay together, so
        // ingestion applies them at once (its cost per event falls with the chunk).
        const events = Stream.fromQueue(queue).pipe(
          Stream.mapChunksEffect((raws) => Effect.map(Effect.forEach(raws, toEvent), Chunk.unsafeFromArray)),
          Stream.interruptWhenDeferred(lost)
        )
        return { head, events }
      }).pipe(Effect.withSpan("ChainEvents.subscribe", { attributes: { chainId } }))

    /** Every tx with a packet event in [from, to], from one tx_search per event type. */
    const searchWindow = (conn: Effect.Effect.Success<ReturnType<typeof connect>>, from: number, to: number) =>
      Effect.gen(function*() {
        const found = new Map<string, { tx: Omit<ChainTx, "chain_id" | "time">; index: number }>()
        for (const type of PACKET_EVENT_TYPES) {
          const query = `${type}.packet_sequence EXISTS AND tx.height >= ${from} AND tx.height <= ${to}`
          for (let page = 1; ; page++) {
            const res = yield* conn.call("tx_search", () => conn.client.txSearch({ query, page, per_page: 100, order_by: "asc" }))
            for (const t of res.txs) {
              const hash = upperHex(t.hash)
              found.set(hash, { tx: { height: t.height, hash, code: t.result.code, events: eventsOf(t.result.events) }, index: t.index })
            }
            if (res.txs.length === 0 || page * 100 >= res.totalCount) break
          }
        }
        return Array.from(found.values()).sort((a, b) => a.tx.height - b.tx.height || a.index - b.index)
      })

    return ChainEvents.of({
      chains: settings.chains.map((c) => c.chain_id),
      subscribe,
      backfill: (chainId, from, to) =>
        Stream.unwrapScoped(
          Effect.map(connect(chainId), (conn) => {
            const windows: Array<readonly [number, number]> = []
            for (let a = from; a <= to; a += window) windows.push([a, Math.min(to, a + window - 1)])
            return Stream.fromIterable(windows).pipe(
              Stream.mapEffect(([a, b]) => searchWindow(conn, a, b)),
              // A window's txs as one chunk, which ingestion applies at once.
              Stream.mapEffect((found) =>
                Effect.forEach(found, ({ tx }) =>
                  Effect.map(conn.blockTime(tx.height), (time): ChainTx => ({ ...tx, chain_id: chainId, time })))
              ),
              Stream.flattenIterables
            )
          })
        ).pipe(Stream.withSpan("ChainEvents.backfill", { attributes: { chainId, from, to } }))
    })
  })

export const layer = (settings: CometSettings) => Layer.effect(ChainEvents, make(settings))
