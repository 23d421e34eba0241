import { Context, Data, type Effect, type Option } from "effect"

export interface Neuron {
  readonly hotkey: string
  /** The owning coldkey, when the source knows it. */
  readonly coldkey?: string | undefined
  readonly validatorPermit: boolean
}

/** The metagraph source could not be read. */
export class MetagraphUnavailable extends Data.TaggedError("MetagraphUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/** Who is registered on the subnet, and which hotkeys hold a validator permit. */
export class Metagraph extends Context.Tag("relaygate/Metagraph")<
  Metagraph,
  {
    /** None when the hotkey is not registered. */
    readonly lookup: (hotkey: string) => Effect.Effect<Option.Option<Neuron>, MetagraphUnavailable>
  }
>() {}
