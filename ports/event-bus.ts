import { Context, Data, type Effect, type Schema, type Scope, type Stream } from "effect"

/**
 * A named stream of one kind of event. The schema lets a cross-process bus
 * (Redis pub/sub) encode and decode; the in-process bus passes values as-is.
 * Core modules declare their topics as plain `{ name, schema }` objects.
 */
export interface Topic<A, I = A> {
  readonly name: string
  readonly schema: Schema.Schema<A, I>
}

export const topic = <A, I>(name: string, schema: Schema.Schema<A, I>): Topic<A, I> => ({ name, schema })

/** The bus could not be reached (e.g. Redis down). In-process buses never fail. */
export class EventBusUnavailable extends Data.TaggedError("EventBusUnavailable")<{
  readonly topic: string
  readonly cause: unknown
}> {
  override get message() {
    return `event bus unavailable for ${this.topic}`
  }
}

/**
 * Fan-out of domain events to whoever listens (WebSocket clients, Nostr
 * workers, other replicas). Delivery is best effort and at most once: a
 * subscriber sees only what is published after its subscription is active,
 * and a subscriber that falls too far behind loses the oldest events rather
 * than slowing publishers. Anything that must not be missed is read from a
 * store; the bus is the fast path.
 */
export class EventBus extends Context.Tag("relaygate/EventBus")<
  EventBus,
  {
    readonly publish: <A, I>(topic: Topic<A, I>, event: A) => Effect.Effect<void, EventBusUnavailable>
    /**
     * Subscribes for the lifetime of the scope. The subscription is active when
     * the effect completes, so nothing published afterwards is missed by it.
     */
    readonly subscribe: <A, I>(
      topic: Topic<A, I>
    ) => Effect.Effect<Stream.Stream<A, EventBusUnavailable>, EventBusUnavailable, Scope.Scope>
  }
>() {}
