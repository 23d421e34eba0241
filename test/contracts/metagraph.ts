import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { Metagraph, type Neuron } from "../../ports/metagraph.js"

export interface MetagraphFixture {
  /** Neurons the adapter under test was built with. */
  readonly registered: ReadonlyArray<Neuron>
  /** Well-formed hotkeys it must not know (empty for the permissive adapter). */
  readonly unregistered: ReadonlyArray<string>
}

/** The behaviour every Metagraph adapter must have; each adapter's test calls this. */
export const metagraphContract = <E>(name: string, layer: Layer.Layer<Metagraph, E>, fixture: MetagraphFixture) =>
  describe(`Metagraph contract: ${name}`, () => {
    const lookup = (hotkey: string) => Effect.flatMap(Metagraph, (m) => m.lookup(hotkey)).pipe(Effect.provide(layer))

    it.effect("finds registered hotkeys with their permit (and coldkey when known)", () =>
      Effect.gen(function*() {
        for (const n of fixture.registered) {
          const found = yield* lookup(n.hotkey)
          expect(Option.map(found, (f) => f.validatorPermit)).toEqual(Option.some(n.validatorPermit))
          expect(Option.map(found, (f) => f.hotkey)).toEqual(Option.some(n.hotkey))
          if (n.coldkey !== undefined) expect(Option.map(found, (f) => f.coldkey)).toEqual(Option.some(n.coldkey))
        }
      }))

    it.effect("does not know unregistered or malformed hotkeys", () =>
      Effect.gen(function*() {
        for (const h of [...fixture.unregistered, "", "not-an-address", "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"]) {
          expect(yield* lookup(h), h).toEqual(Option.none())
        }
      }))
  })
