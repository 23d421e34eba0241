import { Context, Effect, Layer, Option } from "effect"
import { linkKey } from "../../core/clearing/classification.machine.js"
import { encodePacketEvent, eventFieldsOf } from "../../core/clearing/events.js"
import { type ClearPacketsRequest, Hermes, type HermesError } from "../../ports/hermes.js"
import { PacketStore } from "../../ports/packet-store.js"
import { SimulatedChains } from "./chain-events.js"

/** Test and demo control of the simulated relayer. */
export class SimulatedRelayer extends Context.Tag("relaygate/memory/SimulatedRelayer")<
  SimulatedRelayer,
  {
    readonly calls: () => Effect.Effect<ReadonlyArray<ClearPacketsRequest>>
    /** The next clearPackets call fails with this error. */
    readonly failNext: (error: HermesError) => Effect.Effect<void>
  }
>() {}

/**
 * A simulated Hermes that clears exact sequences. `relay` does the relaying
 * (returns relay tx hashes); by default nothing happens on any chain, so a
 * clearing never completes unless something commits the recv/ack.
 */
export const make = (relay: (request: ClearPacketsRequest) => Effect.Effect<ReadonlyArray<string>, HermesError> = () => Effect.succeed([])) =>
  Effect.sync(() => {
    const calls: Array<ClearPacketsRequest> = []
    let failure: HermesError | undefined
    const hermes = Hermes.of({
      executor: "simulated",
      version: () => Effect.succeed([{ name: "hermes", version: "simulated" }]),
      state: () => Effect.succeed({ chains: [], workers: {} }),
      chains: () => Effect.succeed([]),
      clearPackets: Effect.fn("Hermes.clearPackets")(function*(request: ClearPacketsRequest) {
        calls.push(request)
        if (failure !== undefined) {
          const f = failure
          failure = undefined
          return yield* Effect.fail(f)
        }
        const tx_hashes = yield* relay(request)
        return { scope: "sequences" as const, tx_hashes }
      })
    })
    const control = SimulatedRelayer.of({
      calls: () => Effect.sync(() => [...calls]),
      failNext: (error) => Effect.sync(() => void (failure = error))
    })
    return { hermes, control }
  })

const toLayer = <R>(made: Effect.Effect<{ hermes: Hermes["Type"]; control: SimulatedRelayer["Type"] }, never, R>) =>
  Layer.effectContext(Effect.map(made, ({ control, hermes }) => Context.make(Hermes, hermes).pipe(Context.add(SimulatedRelayer, control))))

export const layer: Layer.Layer<Hermes | SimulatedRelayer> = toLayer(make())

/**
 * Relays on the simulated chains like Hermes would: for each pending packet
 * whose destination is known, a recv_packet tx on the destination and an
 * acknowledge_packet tx on the source.
 */
export const layerOnSimulatedChains: Layer.Layer<Hermes | SimulatedRelayer, never, SimulatedChains | PacketStore> = toLayer(
  Effect.gen(function*() {
    const chains = yield* SimulatedChains
    const store = yield* PacketStore
    return yield* make((request) =>
      Effect.gen(function*() {
        const links = new Map((yield* store.links()).map((l) => [linkKey(l.chain_id, l.port_id, l.channel_id), l.counterparty_chain_id]))
        const hashes: Array<string> = []
        for (const sequence of request.sequences) {
          const found = yield* store.get({ chain_id: request.chain_id, src_channel: request.channel_id, sequence })
          if (Option.isNone(found)) continue
          const p = found.value
          const dst = p.dst_chain_id ?? links.get(linkKey(p.chain_id, p.src_port, p.src_channel))
          if (p.received !== null || p.acknowledged !== null || p.timed_out !== null || dst === undefined) continue
          const fields = eventFieldsOf(p)
          const [recv] = yield* chains.commit(dst, [[encodePacketEvent("recv_packet", fields)]])
          const [ack] = yield* chains.commit(p.chain_id, [[encodePacketEvent("acknowledge_packet", fields)]])
          hashes.push(recv!.hash, ack!.hash)
        }
        return hashes
      }).pipe(Effect.orDie)
    )
  })
)
