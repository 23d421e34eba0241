import { createHash, randomBytes } from "node:crypto"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { WebSocket, WebSocketServer } from "ws"
import type { ChainTx, TxEvent } from "../../core/clearing/model.js"
import { T0 } from "./clearing.js"

/*
 * A CometBFT 0.38 RPC websocket endpoint on 127.0.0.1:0 that speaks the
 * JSON shapes @cosmjs/tendermint-rpc decodes (see DEPENDENCIES.md §3):
 * status, subscribe/unsubscribe (Tx events reuse the subscribe id),
 * tx_search (per `<type>.packet_sequence EXISTS AND tx.height >= a AND tx.height <= b`)
 * and blockchain. Blocks are committed on demand.
 */

interface StoredTx {
  readonly tx: ChainTx
  readonly bytes: string
  readonly index: number
}

export interface FakeCometBft {
  /** `http://127.0.0.1:<port>` as an operator would configure it. */
  readonly url: string
  readonly chainId: string
  readonly height: () => number
  /** Commits one block holding one tx per entry; live subscribers get them unless events are held. */
  readonly commit: (txs: ReadonlyArray<ReadonlyArray<TxEvent>>) => ReadonlyArray<ChainTx>
  /** Closes every open socket abruptly (no close frame), as a crashed node or network would. */
  readonly dropConnections: () => void
  /** While true, new sockets are refused. */
  readonly refuseConnections: (refuse: boolean) => void
  /** While true, committed txs are not pushed to subscribers (they are lost in flight). */
  readonly holdEvents: (hold: boolean) => void
  readonly openConnections: () => number
  readonly subscriptions: () => number
  readonly requests: () => ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const hex = (n: number) => randomBytes(n).toString("hex").toUpperCase()
const blockTime = (height: number) => new Date(T0 + height * 6_000).toISOString()

export const startFakeCometBft = async (chainId: string, opts: { readonly startHeight?: number } = {}): Promise<FakeCometBft> => {
  let height = opts.startHeight ?? 1
  const txs: Array<StoredTx> = []
  const subs = new Map<WebSocket, Array<{ id: unknown; query: string }>>()
  const requests: Array<string> = []
  let refuse = false
  let hold = false

  const server: Server = createServer((_req, res) => {
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on("upgrade", (req, socket, head) => {
    if (refuse || req.url !== "/websocket") {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws))
  })

  const txResult = (t: StoredTx) => ({
    code: t.tx.code,
    log: "",
    gas_wanted: "200000",
    gas_used: "51234",
    events: t.tx.events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ ...a, index: true })) }))
  })

  const handlers: Record<string, (params: Record<string, unknown>, ws: WebSocket, id: unknown) => unknown> = {
    status: () => ({
      node_info: {
        protocol_version: { p2p: "8", block: "11", app: "0" },
        id: hex(20).toLowerCase(),
        listen_addr: "tcp://0.0.0.0:26656",
        network: chainId,
        version: "0.38.17",
        channels: "40202122233038606100",
        moniker: "fake",
        other: { tx_index: "on", rpc_address: "tcp://127.0.0.1:26657" }
      },
      sync_info: {
        latest_block_hash: hex(32),
        latest_app_hash: hex(32),
        latest_block_height: String(height),
        latest_block_time: blockTime(height),
        catching_up: false
      },
      validator_info: {
        address: hex(20),
        pub_key: { type: "tendermint/PubKeyEd25519", value: randomBytes(32).toString("base64") },
        voting_power: "10"
      }
    }),
    subscribe: (params, ws, id) => {
      subs.get(ws)?.push({ id, query: String(params["query"]) })
      return {}
    },
    unsubscribe: (params, ws) => {
      const list = subs.get(ws) ?? []
      subs.set(ws, list.filter((s) => s.query !== params["query"]))
      return {}
    },
    tx_search: (params) => {
      const query = String(params["query"])
      const type = /^(\w+)\.packet_sequence EXISTS/.exec(query)?.[1]
      const from = Number(/tx\.height >= (\d+)/.exec(query)?.[1] ?? 1)
      const to = Number(/tx\.height <= (\d+)/.exec(query)?.[1] ?? Number.MAX_SAFE_INTEGER)
      const page = Number(params["page"] ?? 1)
      const perPage = Number(params["per_page"] ?? 30)
      const matching = txs.filter((t) =>
        t.tx.height >= from && t.tx.height <= to && (type === undefined || t.tx.events.some((e) => e.type === type))
      )
      return {
        txs: matching.slice((page - 1) * perPage, page * perPage).map((t) => ({
          hash: t.tx.hash,
          height: String(t.tx.height),
          index: t.index,
          tx: t.bytes,
          tx_result: txResult(t)
        })),
        total_count: String(matching.length)
      }
    },
    blockchain: (params) => {
      const min = Math.max(1, Number(params["minHeight"] ?? 1))
      const max = Math.min(height, Number(params["maxHeight"] ?? height))
      const metas = []
      for (let h = max; h >= min && metas.length < 20; h--) {
        metas.push({
          block_id: { hash: hex(32), parts: { total: 1, hash: hex(32) } },
          block_size: "1000",
          header: {
            version: { block: "11", app: "0" },
            chain_id: chainId,
            height: String(h),
            time: blockTime(h),
            last_block_id: { hash: hex(32), parts: { total: 1, hash: hex(32) } },
            last_commit_hash: hex(32),
            data_hash: hex(32),
            validators_hash: hex(32),
            next_validators_hash: hex(32),
            consensus_hash: hex(32),
            app_hash: hex(32),
            last_results_hash: hex(32),
            evidence_hash: "",
            proposer_address: hex(20)
          },
          num_txs: String(txs.filter((t) => t.tx.height === h).length)
        })
      }
      return { last_height: String(height), block_metas: metas }
    }
  }

  wss.on("connection", (ws) => {
    subs.set(ws, [])
    ws.on("close", () => subs.delete(ws))
    ws.on("error", () => {})
    ws.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { id: unknown; method: string; params?: Record<string, unknown> }
      requests.push(msg.method)
      const handler = handlers[msg.method]
      const reply = handler === undefined
        ? { jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } }
        : { jsonrpc: "2.0", id: msg.id, result: handler(msg.params ?? {}, ws, msg.id) }
      ws.send(JSON.stringify(reply))
    })
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    chainId,
    height: () => height,
    commit: (batch) => {
      height += 1
      const committed = batch.map((events, index): StoredTx => {
        const bytes = randomBytes(48)
        const tx: ChainTx = {
          chain_id: chainId,
          height,
          time: T0 + height * 6_000,
          hash: createHash("sha256").update(bytes).digest("hex").toUpperCase(),
          code: 0,
          events
        }
        return { tx, bytes: bytes.toString("base64"), index }
      })
      txs.push(...committed)
      if (!hold) {
        for (const [ws, list] of subs) {
          for (const s of list) {
            for (const t of committed) {
              ws.send(JSON.stringify({
                jsonrpc: "2.0",
                id: s.id,
                result: {
                  query: s.query,
                  data: { type: "tendermint/event/Tx", value: { TxResult: { height: String(height), index: t.index, tx: t.bytes, result: txResult(t) } } },
                  events: { "tm.event": ["Tx"], "tx.hash": [t.tx.hash], "tx.height": [String(height)] }
                }
              }))
            }
          }
        }
      }
      return committed.map((t) => t.tx)
    },
    dropConnections: () => {
      for (const ws of wss.clients) ws.terminate()
    },
    refuseConnections: (r) => {
      refuse = r
    },
    holdEvents: (h) => {
      hold = h
    },
    openConnections: () => wss.clients.size,
    subscriptions: () => Array.from(subs.values()).reduce((a, l) => a + l.length, 0),
    requests: () => [...requests],
    close: async () => {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
