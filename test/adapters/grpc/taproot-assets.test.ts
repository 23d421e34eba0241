import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as GrpcTapd from "../../../adapters/grpc/taproot-assets.js"
import * as SimulatedTapd from "../../../adapters/memory/taproot-assets.js"
import { TapdConnection } from "../../../ports/daemon-connection.js"
import { TaprootAssets } from "../../../ports/taproot-assets.js"
import { taprootAssetsContract } from "../../contracts/taproot-assets.js"
import { fakeTapd } from "../../support/fake-tapd.js"
import { canMakeCertificates, throwawayCredentials } from "../../support/tls.js"

/** A simulated tapd served by a fake tapd over TLS with a macaroon, and the gRPC adapter's services dialled to it. */
const started = Effect.gen(function*() {
  const sim = yield* SimulatedTapd.make()
  const creds = yield* throwawayCredentials
  const fake = yield* fakeTapd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(Context.make(TaprootAssets, sim.tapd)))
  const adapter = yield* Layer.build(GrpcTapd.layer({ host: "127.0.0.1", port: fake.port, tlsCertPath: creds.certPath, macaroonPath: creds.macaroonPath }))
  return { sim: sim.simulator, fake, tapd: Context.get(adapter, TaprootAssets), connection: Context.get(adapter, TapdConnection) }
})

describe.runIf(canMakeCertificates)("gRPC tapd adapter", () => {
  taprootAssetsContract(
    "gRPC tapd, TLS + macaroon",
    Layer.unwrapScoped(Effect.map(Effect.orDie(started), ({ sim, tapd }) =>
      Layer.succeedContext(Context.make(TaprootAssets, tapd).pipe(Context.add(SimulatedTapd.TaprootAssetsSimulator, sim)))))
  )

  it.live("a killed tapd is unavailable, and reconnect reports it until it is back", () =>
    Effect.gen(function*() {
      const { tapd, connection, fake, sim } = yield* started
      yield* sim.mint("gBTC", 21n)
      yield* fake.stop
      expect((yield* tapd.listBalances().pipe(Effect.flip))._tag).toBe("TaprootAssetsUnavailable")
      expect(yield* connection.reconnect().pipe(Effect.flip)).toMatchObject({ _tag: "DaemonUnreachable", daemon: "tapd" })
      yield* fake.start
      yield* connection.reconnect()
      expect((yield* tapd.listBalances()).map((b) => [b.name, b.balance])).toEqual([["gBTC", 21n]])
    }).pipe(Effect.scoped))
})
