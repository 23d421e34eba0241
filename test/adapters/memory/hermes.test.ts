import { Effect, Layer } from "effect"
import { make } from "../../../adapters/memory/hermes.js"
import { Hermes, HermesRejected } from "../../../ports/hermes.js"
import { hermesContract } from "../../contracts/hermes.js"

const request = { chain_id: "osmosis-1", port_id: "transfer", channel_id: "channel-750", sequences: [1, 2] }

const simulated = Layer.effect(
  Hermes,
  Effect.map(
    make((r) => (r.channel_id === "channel-999" ? Effect.fail(new HermesRejected({ reason: "unknown channel" })) : Effect.succeed(["AB".repeat(32)]))),
    ({ hermes }) => hermes
  )
)

hermesContract("simulated", simulated, { accepted: request, refused: { ...request, channel_id: "channel-999" }, scope: "sequences" })
