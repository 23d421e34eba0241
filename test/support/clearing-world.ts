import { Context, Effect, Layer } from "effect"
import * as NoRelayer from "../../adapters/hermes/unavailable.js"
import { Hermes } from "../../ports/hermes.js"
import * as Chains from "../../adapters/memory/chain-events.js"
import * as Chainpulse from "../../adapters/memory/chainpulse-metrics.js"
import * as Clearings from "../../adapters/memory/clearing-store.js"
import * as Bus from "../../adapters/memory/event-bus.js"
import * as Relayer from "../../adapters/memory/hermes.js"
import * as Packets from "../../adapters/memory/packet-store.js"
import * as Payments from "../../adapters/memory/payment-verifier.js"
import * as ClearingSvc from "../../core/clearing/clearing.service.js"
import * as Ingest from "../../core/clearing/ingest.service.js"
import * as Queries from "../../core/clearing/packets.service.js"

export const SERVICE_ADDRESS = "osmo1clearingservice"
export const FEE = { amount: 500_000n, denom: "uosmo" }

export const clearingSettings = (o: Partial<ClearingSvc.ClearingSettings> = {}): ClearingSvc.ClearingSettings => ({
  ...ClearingSvc.defaultClearingSettings,
  feePerPacket: FEE,
  payTo: new Map([["osmosis-1", SERVICE_ADDRESS]]),
  ...o
})

/**
 * The whole clearing module on simulated chains (osmosis-1, noble-1), a
 * simulated relayer and in-memory stores. `relay: false` gives a relayer that
 * reports success but never relays anything; `"none"` no relayer at all.
 */
export const clearingWorld = (
  o: { readonly relay?: boolean | "none"; readonly settings?: Partial<ClearingSvc.ClearingSettings> } = {}
) => {
  const base = Layer.mergeAll(
    Chains.layer(["osmosis-1", "noble-1"]),
    Packets.layer,
    Clearings.layer,
    Bus.layer,
    Payments.layer,
    Chainpulse.layer(),
    Layer.succeed(ClearingSvc.ClearingConfig, clearingSettings(o.settings)),
    Layer.succeed(Ingest.IngestConfig, { initialLookbackBlocks: 0, reconnectBase: "10 millis", reconnectMax: "50 millis" })
  )
  const relayer = o.relay === "none"
    ? Layer.merge(NoRelayer.layer, Relayer.layer.pipe(Layer.map((ctx) => Context.omit(Hermes)(ctx))))
    : o.relay === false
    ? Relayer.layer
    : Relayer.layerOnSimulatedChains
  return Layer.mergeAll(Ingest.layer, Queries.layer, ClearingSvc.layer).pipe(
    Layer.provideMerge(relayer.pipe(Layer.provideMerge(base)))
  )
}

/** Lets forked fibers (ingestion, the clearing watcher) run until `check` holds; works under TestClock. */
export const settle = <A, E, R>(check: Effect.Effect<A, E, R>, ok: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      const a = yield* check
      if (ok(a)) return a
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("condition never reached")
  })
