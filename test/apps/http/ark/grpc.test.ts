import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import * as SimulatedTapd from "../../../../adapters/memory/taproot-assets.js"
import { TaprootAssets } from "../../../../ports/taproot-assets.js"
import { fakeTapd } from "../../../support/fake-tapd.js"
import { simulatedDaemons } from "../../../support/daemons.js"
import { request, startApp } from "../../../support/http-app.js"
import { canMakeCertificates, credentialsNaming } from "../../../support/tls.js"

const daemons = simulatedDaemons

describe("/grpc routes", () => {
  it.scoped("with no daemon configured they describe the simulated daemons, and /ready says so", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const info = yield* request(app.baseUrl, "GET", "/grpc/arkd/info")
      expect(info.status).toBe(200)
      expect(info.body).toMatchObject({ daemon: "arkd", adapter: "simulated", target: null, info: { network: "regtest" } })
      expect(info.body.info.signer_pubkey).toMatch(/^[0-9a-f]{64}$/)
      const lnd = yield* request(app.baseUrl, "GET", "/grpc/lnd/balances")
      expect(lnd.status).toBe(200)
      expect(lnd.body).toMatchObject({ daemon: "lnd", adapter: "simulated", wallet: { confirmed_sats: expect.any(Number) } })
      expect(lnd.body.total_sats).toBe(lnd.body.wallet.confirmed_sats + lnd.body.wallet.unconfirmed_sats + lnd.body.channels.local_sats)
      expect((yield* request(app.baseUrl, "GET", "/grpc/tapd/balances")).body).toEqual({ daemon: "tapd", adapter: "simulated", target: null, assets: [] })
      expect((yield* request(app.baseUrl, "GET", "/grpc/reconnect/lnd")).body).toEqual({ daemon: "lnd", adapter: "simulated", target: null, reconnected: true })
      const ready = yield* request(app.baseUrl, "GET", "/ready")
      expect(ready.body.checks).toMatchObject({
        arkd: { status: "ok", adapter: "simulated" },
        lnd: { status: "ok", adapter: "simulated" },
        tapd: { status: "ok", adapter: "simulated" }
      })
    }))

  it.scoped("an unknown daemon is the ark module's 400", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const r = yield* request(app.baseUrl, "GET", "/grpc/reconnect/bitcoind")
      expect(r.status).toBe(400)
      expect(r.body).toMatchObject({ code: "VALIDATION_ERROR", error: expect.any(String) })
    }))

  it.scoped.runIf(canMakeCertificates)("with ARKD_/LND_/TAPD_ set they report the real daemons' data, and /ready says grpc", () =>
    Effect.gen(function*() {
      const { sims, fakes, env } = yield* daemons
      yield* sims.tapd.simulator.mint("gBTC", 2_100n)
      const app = yield* startApp(env)

      const info = yield* request(app.baseUrl, "GET", "/grpc/arkd/info")
      expect(info.status).toBe(200)
      expect(info.body).toEqual({
        daemon: "arkd",
        adapter: "grpc",
        target: `127.0.0.1:${fakes.arkd.port}`,
        info: {
          signer_pubkey: (yield* sims.arkd.arkServer.getInfo()).signerPubkey,
          network: "regtest",
          version: "relaygate-simulated-arkd",
          dust: 330,
          unilateral_exit_delay: 512
        }
      })
      const channel = yield* sims.lnd.lightning.channelBalance()
      const lnd = yield* request(app.baseUrl, "GET", "/grpc/lnd/balances")
      expect(lnd.body).toMatchObject({
        adapter: "grpc",
        target: `127.0.0.1:${fakes.lnd.port}`,
        channels: { local_sats: Number(channel.localSats), remote_sats: Number(channel.remoteSats) }
      })
      const tapd = yield* request(app.baseUrl, "GET", "/grpc/tapd/balances")
      expect(tapd.body).toMatchObject({ adapter: "grpc", assets: [{ name: "gBTC", balance: 2_100, asset_type: "NORMAL" }] })
      const ready = yield* request(app.baseUrl, "GET", "/ready")
      expect(ready.status).toBe(200)
      expect(ready.body.checks).toMatchObject({
        arkd: { status: "ok", adapter: "grpc" },
        lnd: { status: "ok", adapter: "grpc" },
        tapd: { status: "ok", adapter: "grpc" }
      })
    }))

  it.live.runIf(canMakeCertificates)("a daemon that is down is a 503 naming it and why; reconnect works once it is back", () =>
    Effect.gen(function*() {
      const { fakes, env } = yield* daemons
      const app = yield* startApp(env)
      yield* fakes.lnd.stop
      const down = yield* request(app.baseUrl, "GET", "/grpc/lnd/balances")
      expect(down.status).toBe(503)
      expect(down.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "lnd", reason: expect.stringMatching(/UNAVAILABLE/) })
      expect(down.body.error).toMatch(/^lnd unavailable: /)
      const refused = yield* request(app.baseUrl, "GET", "/grpc/reconnect/lnd")
      expect(refused.status).toBe(503)
      expect(refused.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "lnd" })
      const ready = yield* request(app.baseUrl, "GET", "/ready")
      expect(ready.status).toBe(503)
      expect(ready.body.checks.lnd).toMatchObject({ status: "down", adapter: "grpc", detail: expect.stringMatching(/UNAVAILABLE/) })

      yield* fakes.lnd.start
      const back = yield* request(app.baseUrl, "GET", "/grpc/reconnect/lnd")
      expect(back.body).toEqual({ daemon: "lnd", adapter: "grpc", target: `127.0.0.1:${fakes.lnd.port}`, reconnected: true })
      expect((yield* request(app.baseUrl, "GET", "/grpc/lnd/balances")).status).toBe(200)
    }).pipe(Effect.scoped))

  it.scoped.runIf(canMakeCertificates)("TAPD_TLS_SERVER_NAME lets the app trust a certificate that names tapd by another name than TAPD_HOST", () =>
    Effect.gen(function*() {
      const tapd = yield* SimulatedTapd.make()
      yield* tapd.simulator.mint("gBTC", 500n)
      const creds = yield* credentialsNaming("DNS:tapd.internal")
      const fake = yield* fakeTapd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(Context.make(TaprootAssets, tapd.tapd)))
      const env = { TAPD_HOST: "127.0.0.1", TAPD_PORT: String(fake.port), TAPD_TLS_CERT: creds.certPath, TAPD_MACAROON: creds.macaroonPath }
      const unnamed = yield* startApp(env)
      expect((yield* request(unnamed.baseUrl, "GET", "/grpc/tapd/balances")).status).toBe(503)
      const named = yield* startApp({ ...env, TAPD_TLS_SERVER_NAME: "tapd.internal" })
      const balances = yield* request(named.baseUrl, "GET", "/grpc/tapd/balances")
      expect(balances.status).toBe(200)
      expect(balances.body).toMatchObject({ adapter: "grpc", assets: [{ name: "gBTC", balance: 500 }] })
    }))

  it.scoped("an unreadable certificate stops start-up with one line naming the variable", () =>
    Effect.gen(function*() {
      const e = yield* startApp({ LND_HOST: "127.0.0.1", LND_TLS_CERT: "/nonexistent/tls.cert" }).pipe(Effect.flip)
      expect(String(e instanceof Error ? e.message : e)).toMatch(/^LND_TLS_CERT: cannot read TLS certificate \/nonexistent\/tls\.cert/)
    }))
})
