import { Effect, Layer, TestClock } from "effect"
import { SignJWT } from "jose"
import { readFileSync } from "node:fs"
import { ClearingJobsLive } from "../../apps/clearing.js"
import { T0 } from "./clearing.js"
import { eventually } from "./eventually.js"
import { startFakeCometBft } from "./fake-cometbft.js"
import { startApp } from "./http-app.js"
import { json, localHttp } from "./local-http.js"

/** The black-box clearing tests' present: an hour after the fake chains' first block. */
export const NOW = T0 + 3_600_000
/** Where the app is told clearing fees are paid on osmosis-1. */
export const SERVICE = "osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"
/** The channel the recorded Chainpulse scrape knows. */
export const CHANNEL = { src_port: "transfer", src_channel: "channel-750", dst_port: "transfer", dst_channel: "channel-1" }

/** Alice's user token (osmo1alice on osmosis-1), issued at `NOW` and signed with `secret`; valid an hour unless `exp` (epoch seconds) says otherwise. */
export const aliceToken = (secret: string, exp = Math.floor(NOW / 1000) + 3_600) =>
  Effect.promise(() =>
    new SignJWT({ user_id: "usr_alice", wallet_address: "osmo1alice", chain_id: "osmosis-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(Math.floor(NOW / 1000))
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret))
  )

const SCRAPE = readFileSync(new URL("../../../shared/fixtures/chainpulse/metrics-snapshot.txt", import.meta.url))

/**
 * The clearing module's outside services on 127.0.0.1 for the life of the scope:
 * two fake chains (osmosis-1 from height 41, noble-1 from 900), Chainpulse serving
 * the recorded scrape, a Hermes REST that accepts every clear (or answers
 * `hermesRefuses` as its error) and a Cosmos REST that knows the payments made with `pay`.
 */
export const clearingServices = (o: { readonly hermesRefuses?: string } = {}) =>
  Effect.gen(function*() {
    const osmosis = yield* Effect.acquireRelease(Effect.promise(() => startFakeCometBft("osmosis-1", { startHeight: 41 })), (f) => Effect.promise(() => f.close()))
    const noble = yield* Effect.acquireRelease(Effect.promise(() => startFakeCometBft("noble-1", { startHeight: 900 })), (f) => Effect.promise(() => f.close()))
    const chainpulse = yield* localHttp((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" })
      res.end(SCRAPE)
    })
    const hermes = yield* localHttp((req, res) =>
      !req.url.startsWith("/clear_packets")
        ? json(res, 404, {})
        : o.hermesRefuses === undefined
        ? json(res, 200, { status: "success", result: [] })
        : json(res, 200, { status: "error", result: o.hermesRefuses })
    )
    const payments = new Map<string, unknown>()
    const lcd = yield* localHttp((req, res) => {
      const tx = payments.get(req.url.split("/").at(-1)!)
      return tx === undefined ? json(res, 404, { code: 5, message: "tx not found", details: [] }) : json(res, 200, tx)
    })
    /** Alice pays the 500000uosmo fee to `SERVICE` in tx `txHash` at `height`, with `memo`; the Cosmos REST knows it from now on. */
    const pay = (txHash: string, memo: string, height = 60): void => {
      payments.set(txHash, {
        tx: { body: { messages: [{ "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: "osmo1alice", to_address: SERVICE, amount: [{ denom: "uosmo", amount: "500000" }] }], memo } },
        tx_response: { txhash: txHash, height: String(height), code: 0, timestamp: new Date(NOW).toISOString() }
      })
    }
    return { osmosis, noble, chainpulse, hermes, lcd, pay }
  })

export type ClearingServices = Effect.Effect.Success<ReturnType<typeof clearingServices>>

/**
 * The app (memory stores) at `NOW` on the test clock, wired to `services` with a
 * 500000uosmo fee paid to `SERVICE`, its clearing jobs running and both chains
 * followed. `env` adds settings or points a service elsewhere (a proxy in front of it).
 */
export const startClearingApp = (services: ClearingServices, env: Record<string, string>) =>
  Effect.gen(function*() {
    const { chainpulse, hermes, lcd, noble, osmosis } = services
    yield* TestClock.setTime(NOW)
    const app = yield* startApp({
      CHAINPULSE_URL: chainpulse.url,
      COMETBFT_RPC_OSMOSIS_1: osmosis.url,
      COMETBFT_RPC_NOBLE_1: noble.url,
      COSMOS_REST_OSMOSIS_1: lcd.url,
      CLEARING_ADDRESS_OSMOSIS_1: SERVICE,
      CLEARING_FEE: "500000uosmo",
      HERMES_URL: hermes.url,
      ...env
    })
    yield* Layer.build(ClearingJobsLive.pipe(Layer.provide(Layer.succeedContext(app.context))))
    yield* eventually(Effect.sync(() => osmosis.subscriptions() + noble.subscriptions()), (n) => n === 2, "both chains followed")
    return app
  })
