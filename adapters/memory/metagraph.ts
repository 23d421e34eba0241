import { Effect, Layer, Option } from "effect"
import { isSs58Address } from "../../core/epochs/ss58.js"
import { Metagraph, type Neuron } from "../../ports/metagraph.js"
import { hotFn } from "../../core/shared/hot-fn.js"

/** A fixed metagraph snapshot. */
export const make = (neurons: Iterable<Neuron>) =>
  Effect.sync(() => {
    const byHotkey = new Map(Array.from(neurons, (n) => [n.hotkey, n] as const))
    return Metagraph.of({
      lookup: hotFn("Metagraph.lookup")(function*(hotkey: string) {
        return Option.fromNullable(byHotkey.get(hotkey))
      })
    })
  })

export const layer = (neurons: Iterable<Neuron>) => Layer.effect(Metagraph, make(neurons))

/**
 * METAGRAPH_FILE unset: every well-formed hotkey counts as registered and as
 * holding a validator permit. For development only, hence the warning.
 */
export const makePermissive = Effect.gen(function*() {
  yield* Effect.logWarning(
    "METAGRAPH_FILE is not set: every well-formed hotkey counts as registered with a validator permit"
  )
  return Metagraph.of({
    lookup: hotFn("Metagraph.lookup")(function*(hotkey: string) {
      return isSs58Address(hotkey) ? Option.some({ hotkey, validatorPermit: true }) : Option.none()
    })
  })
})

export const layerPermissive = Layer.effect(Metagraph, makePermissive)
