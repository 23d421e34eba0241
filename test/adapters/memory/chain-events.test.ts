import { Effect, Layer } from "effect"
import { layer, SimulatedChains } from "../../../adapters/memory/chain-events.js"
import { ChainDriver, chainEventsContract } from "../../contracts/chain-events.js"

const chains = layer(["osmosis-1", "noble-1"])
const driver = Layer.effect(
  ChainDriver,
  Effect.map(SimulatedChains, (sim) =>
    ChainDriver.of({
      chainId: "osmosis-1",
      commit: (txs) => sim.commit("osmosis-1", txs),
      dropConnections: () => sim.disconnect("osmosis-1")
    }))
).pipe(Layer.provideMerge(chains))

chainEventsContract("memory", driver)
