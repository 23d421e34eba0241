import { Effect, Layer } from "effect"
import { Hermes, HermesUnavailable } from "../../ports/hermes.js"

const missing = () => Effect.fail(new HermesUnavailable({ reason: "no relayer configured (set HERMES_URL or HERMES_BIN)" }))

/** Neither HERMES_URL nor HERMES_BIN is set: clearing requests are refused up front. */
export const layer = Layer.succeed(
  Hermes,
  Hermes.of({ executor: null, version: missing, state: missing, chains: missing, clearPackets: missing })
)
