import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as SimulatedLnd from "../../adapters/memory/lightning.js"
import { Lightning } from "../../ports/lightning.js"
import { SignJWT } from "jose"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import WebSocket from "ws"
import { Commitments } from "../../core/epochs/commitments.js"
import { route, sendEvent, transferData } from "../support/clearing.js"
import { devPair, signHex } from "../support/epochs.js"
import { eventually } from "../support/eventually.js"
import { startFakeCometBft } from "../support/fake-cometbft.js"
import { type JsonResponse, jsonClient } from "../support/http-app.js"
import { fakeLnd } from "../support/fake-lnd.js"
import { json, localHttp } from "../support/local-http.js"
import { mariadbReachable } from "../support/mariadb.js"
import { redisReachable } from "../support/redis.js"
import { type Replica, sharedBackends, startReplica } from "../support/replicas.js"
import { canMakeCertificates, throwawayCredentials } from "../support/tls.js"

/*
 * Two `relaygate serve` processes on one MariaDB database and one Redis
 * prefix, as two replicas behind a load balancer. Requests are spread over
 * both; what they share must behave as one gateway.
 */

const JWT_SECRET = "replica-test-secret-0123456789abcdef-0123"
const SERVICE = "osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"

class Cluster extends Context.Tag("test/Cluster")<Cluster, {
  readonly a: Replica
  readonly b: Replica
  readonly chain: Awaited<ReturnType<typeof startFakeCometBft>>
}>() {}

const ClusterLive = Layer.scoped(
  Cluster,
  Effect.gen(function*() {
    const backends = yield* sharedBackends
    const chain = yield* Effect.acquireRelease(Effect.promise(() => startFakeCometBft("osmosis-1", { startHeight: 41 })), (c) => Effect.promise(() => c.close()))
    const hermes = yield* localHttp((req, res) =>
      req.url.startsWith("/clear_packets") ? json(res, 200, { status: "success", result: [] }) : json(res, 404, {})
    )
    const env = {
      ...backends,
      // One gateway identity for both: challenges and epoch nonces must verify on either.
      GATEWAY_PRIVATE_KEY: "11".repeat(32),
      EPOCH_SECRET: "replica-test-epoch-secret",
      JWT_SECRET,
      COMETBFT_RPC_OSMOSIS_1: chain.url,
      CLEARING_ADDRESS_OSMOSIS_1: SERVICE,
      CLEARING_FEE: "500000uosmo",
      HERMES_URL: hermes.url,
      LOG_LEVEL: "Info",
      // 100 concurrent sockets per replica from one client: the per-IP cap (64 by default) is limits.test.ts's subject.
      MAX_CONNECTIONS_PER_IP: "0"
    }
    const [a, b] = yield* Effect.all([startReplica(env), startReplica(env)], { concurrency: 2 })
    return { a, b, chain }
  })
)

const call = (replica: Replica, method: string, path: string, o: { body?: unknown; token?: string } = {}) =>
  jsonClient(replica.baseUrl)(method, path, o)

const servicesUp = (await mariadbReachable) && (await redisReachable)

describe.skipIf(!servicesUp && process.env["CI"] !== "true")("two replicas on one MariaDB and one Redis", () => {
  layer(ClusterLive, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("200 concurrent VTXO assignments spread over both replicas: each VTXO goes to exactly one request", () =>
      Effect.gen(function*() {
        const { a, b } = yield* Cluster
        expect((yield* call(a, "POST", "/assets", { body: { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC" } })).status).toBe(201)
        const batch = yield* call(b, "POST", "/vtxos/batch/create", { body: { asset_id: "gBTC", count: 100, amount_sats: 100_000 } })
        expect(batch.status).toBe(201)
        const minted = new Set<string>(batch.body.vtxos.map((v: { vtxo_id: string }) => v.vtxo_id))

        const users = Array.from({ length: 200 }, () => getPublicKey(generateSecretKey()))
        const responses = yield* Effect.all(
          users.map((user_pubkey, i) => call(i % 2 === 0 ? a : b, "POST", "/vtxos/assign", { body: { user_pubkey, asset_id: "gBTC", amount_needed: 50_000 } })),
          { concurrency: "unbounded" }
        )
        const won = responses.filter((r) => r.status === 200)
        const ids = won.map((r) => r.body.vtxo_id as string)
        expect(won).toHaveLength(100)
        expect(new Set(ids).size).toBe(100)
        for (const id of ids) expect(minted.has(id)).toBe(true)
        // Both replicas handed out VTXOs, and the losers were told so clearly.
        expect(new Set(won.map((r) => users.indexOf(r.body.user_pubkey) % 2)).size).toBe(2)
        expect(responses.filter((r) => r.status === 409)).toHaveLength(100)
        for (const replica of [a, b]) {
          expect((yield* call(replica, "GET", "/vtxos/inventory/gBTC")).body).toMatchObject({ available: 0, assigned: 100 })
        }
      }))

    it.effect("rate limits are shared: the 11th request within a minute is refused whichever replica gets it", () =>
      Effect.gen(function*() {
        const { a, b } = yield* Cluster
        const miner = devPair("//ReplicaMiner")
        const current = (replica: Replica, i: number) => {
          // A fresh signed commitment per request (signatures are single use).
          const timestamp = Math.floor(Date.now() / 1000) - i
          const q = new URLSearchParams({ hotkey: miner.address, signature: signHex(miner, Commitments.currentAssignment(timestamp)), timestamp: String(timestamp) })
          return call(replica, "GET", `/api/v1/zipcode-assignments/current?${q}`)
        }
        const replies: Array<JsonResponse> = []
        for (let i = 0; i < 11; i++) replies.push(yield* current(i % 2 === 0 ? a : b, i))
        expect(replies.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(200))
        expect(replies.slice(0, 10).map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"])
        expect(replies[10]!.status).toBe(429)
        expect(replies[10]!.headers.get("retry-after")).not.toBeNull()
        // And on the other replica too.
        expect((yield* current(b, 11)).status).toBe(429)
        // Both replicas serve the one assignment of the epoch.
        expect(replies[0]!.body.epochId).toBe(replies[1]!.body.epochId)
        expect(replies[0]!.body.nonce).toBe(replies[1]!.body.nonce)
      }))

    it.scoped("a WebSocket subscriber on one replica sees a clearing status set on the other", () =>
      Effect.gen(function*() {
        const { a, b, chain } = yield* Cluster
        const now = Math.floor(Date.now() / 1000)
        const token = yield* Effect.promise(() =>
          new SignJWT({ user_id: "usr_replica", wallet_address: "osmo1alice", chain_id: "osmosis-1" })
            .setProtectedHeader({ alg: "HS256" })
            .setIssuedAt(now)
            .setExpirationTime(now + 3_600)
            .sign(new TextEncoder().encode(JWT_SECRET))
        )
        const stuck = route()
        chain.commit([[sendEvent(stuck, { data: transferData({ sender: "osmo1alice", amount: "2500000", denom: "uosmo" }) })]])
        const packetId = `osmosis-1-channel-750-${stuck.sequence}`
        yield* eventually(call(a, "GET", `/api/v1/chainpulse/packets/osmosis-1/channel-750/${stuck.sequence}`), (r) => r.status === 200, "packet ingested")

        // Subscribed on B.
        const messages: Array<any> = []
        const ws = yield* Effect.acquireRelease(
          Effect.promise(() =>
            new Promise<WebSocket>((resolve, reject) => {
              const socket = new WebSocket(`${b.baseUrl.replace("http", "ws")}/api/v1/ws`)
              socket.on("message", (d) => messages.push(JSON.parse(String(d))))
              socket.once("open", () => resolve(socket))
              socket.once("error", reject)
            })
          ),
          (socket) => Effect.sync(() => socket.terminate())
        )
        ws.send(JSON.stringify({ type: "auth", token: `Bearer ${token}` }))
        yield* eventually(Effect.sync(() => messages), (ms) => ms.some((m) => m.type === "authenticated"), "authenticated")
        ws.send(JSON.stringify({ type: "subscribe", topics: ["clearing_status"] }))
        yield* eventually(Effect.sync(() => messages), (ms) => ms.some((m) => m.type === "subscribed"), "subscribed")

        // The clearing is requested on A.
        const quote = yield* call(a, "POST", "/api/v1/clearing/request-token", { token, body: { packet_ids: [packetId] } })
        expect(quote.status).toBe(200)
        const pushed = yield* eventually(
          Effect.sync(() => messages.filter((m) => m.type === "clearing_status")),
          (ms) => ms.some((m) => m.data.status === "awaiting_payment"),
          "clearing_status pushed on B"
        )
        const update = pushed.find((m) => m.data.status === "awaiting_payment")
        expect(update.data).toMatchObject({ packet_ids: [packetId] })
        expect(JSON.stringify(update)).toContain(quote.body.token)
      }))
  })
})

class LightningCluster extends Context.Tag("test/LightningCluster")<LightningCluster, {
  readonly a: Replica
  readonly b: Replica
  readonly lnd: SimulatedLnd.LightningSimulator["Type"]
  readonly subscriptions: Effect.Effect<ReadonlyArray<bigint>>
}>() {}

/** Both replicas on one lnd (a simulator behind a fake gRPC server with TLS + macaroon), as in production. */
const LightningClusterLive = Layer.scoped(
  LightningCluster,
  Effect.gen(function*() {
    const backends = yield* sharedBackends
    const sim = yield* SimulatedLnd.make()
    const creds = yield* throwawayCredentials
    const server = yield* fakeLnd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(Context.make(Lightning, sim.lightning)))
    const env = {
      ...backends,
      GATEWAY_PRIVATE_KEY: "33".repeat(32),
      LND_HOST: "127.0.0.1",
      LND_PORT: String(server.port),
      LND_TLS_CERT: creds.certPath,
      LND_MACAROON: creds.macaroonPath
    }
    const [a, b] = yield* Effect.all([startReplica(env), startReplica(env)], { concurrency: 2 })
    return { a, b, lnd: sim.simulator, subscriptions: server.subscriptions }
  })
)

describe.skipIf((!servicesUp && process.env["CI"] !== "true") || !canMakeCertificates)("two replicas on one lnd", () => {
  layer(LightningClusterLive, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a lift settled once and delivered to both replicas (and replayed) credits the user once", () =>
      Effect.gen(function*() {
        const { a, b, lnd, subscriptions } = yield* LightningCluster
        yield* eventually(subscriptions, (xs) => xs.length >= 2, "both replicas follow lnd's settlements")
        const user = getPublicKey(generateSecretKey())
        const lift = yield* call(a, "POST", "/lightning/lift", { body: { user_pubkey: user, asset_id: "BTC", amount_sats: 100_000 } })
        expect(lift.status).toBe(201)
        yield* lnd.payInvoice(lift.body.bolt11_invoice)
        for (const replica of [b, a]) {
          yield* eventually(call(replica, "GET", `/balances/${user}/BTC`), (r) => r.body.available_balance === 100_000, "credited")
        }
        for (let i = 0; i < 5; i++) yield* lnd.replaySettlement(lift.body.payment_hash)
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 500)))
        for (const replica of [a, b]) {
          expect((yield* call(replica, "GET", `/balances/${user}/BTC`)).body).toMatchObject({ available_balance: 100_000, reserved_balance: 0 })
          expect((yield* call(replica, "GET", `/lightning/invoices/${lift.body.payment_hash}`)).body).toMatchObject({ status: "paid" })
        }
      }))
  })
})
