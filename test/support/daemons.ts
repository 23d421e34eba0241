import { Context, Effect } from "effect"
import * as SimulatedArkd from "../../adapters/memory/ark-server.js"
import * as SimulatedLnd from "../../adapters/memory/lightning.js"
import * as SimulatedTapd from "../../adapters/memory/taproot-assets.js"
import { ArkServer } from "../../ports/ark-server.js"
import { Lightning } from "../../ports/lightning.js"
import { TaprootAssets } from "../../ports/taproot-assets.js"
import { fakeArkd } from "./fake-arkd.js"
import { fakeLnd } from "./fake-lnd.js"
import { fakeTapd } from "./fake-tapd.js"
import { throwawayCredentials } from "./tls.js"

/**
 * Real daemons as far as the app can tell: simulators behind fake gRPC servers
 * (arkd plaintext, lnd and tapd TLS + macaroon), and the ARKD_/LND_/TAPD_
 * variables that point the app at them.
 */
export const simulatedDaemons = Effect.gen(function*() {
  const arkd = yield* SimulatedArkd.make()
  const lnd = yield* SimulatedLnd.make()
  const tapd = yield* SimulatedTapd.make()
  const lndCreds = yield* throwawayCredentials
  const tapdCreds = yield* throwawayCredentials
  const fakes = {
    arkd: yield* fakeArkd().pipe(Effect.provide(Context.make(ArkServer, arkd.arkServer).pipe(Context.add(SimulatedArkd.ArkServerSimulator, arkd.simulator)))),
    lnd: yield* fakeLnd({ tls: lndCreds, macaroonHex: lndCreds.macaroonHex }).pipe(Effect.provide(Context.make(Lightning, lnd.lightning))),
    tapd: yield* fakeTapd({ tls: tapdCreds, macaroonHex: tapdCreds.macaroonHex }).pipe(Effect.provide(Context.make(TaprootAssets, tapd.tapd)))
  }
  const env = {
    ARKD_HOST: "127.0.0.1",
    ARKD_PORT: String(fakes.arkd.port),
    LND_HOST: "127.0.0.1",
    LND_PORT: String(fakes.lnd.port),
    LND_TLS_CERT: lndCreds.certPath,
    LND_MACAROON: lndCreds.macaroonPath,
    TAPD_HOST: "127.0.0.1",
    TAPD_PORT: String(fakes.tapd.port),
    TAPD_TLS_CERT: tapdCreds.certPath,
    TAPD_MACAROON: tapdCreds.macaroonPath
  }
  return { sims: { arkd, lnd, tapd }, fakes, env }
})
