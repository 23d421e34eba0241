import { Effect, Layer, PubSub, Stream } from "effect"
import { EventBus, type Topic } from "../../ports/event-bus.js"

/** Events a subscriber may lag behind before it starts losing the oldest ones. */
export const DEFAULT_CAPACITY = 1024

/**
 * In-process bus: one sliding PubSub per topic name. Sliding, not
 * back-pressured, so a stalled WebSocket client can never block the ingest
 * or clearing fibers that publish.
 */
export const make = (capacity: number = DEFAULT_CAPACITY) =>
  Effect.sync(() => {
    const hubs = new Map<string, PubSub.PubSub<unknown>>()
    const hub = (name: string): Effect.Effect<PubSub.PubSub<unknown>> =>
      Effect.suspend(() => {
        const existing = hubs.get(name)
        if (existing !== undefined) return Effect.succeed(existing)
        return PubSub.sliding<unknown>(capacity).pipe(
          Effect.map((created) => {
            // Another fiber may have created the hub meanwhile; the first one wins.
            if (!hubs.has(name)) hubs.set(name, created)
            return hubs.get(name)!
          })
        )
      })

    return EventBus.of({
      publish: <A, I>(topic: Topic<A, I>, event: A) =>
        // Publishing is on every ingest and clearing hot path. The span has no
        // children (PubSub opens none), so `useSpan` records it as `withSpan`
        // would without installing it as a parent, and without the call-site
        // stack trace (a `new Error()` per event): both would cost more than the publish.
        Effect.useSpan("EventBus.publish", { attributes: { topic: topic.name }, captureStackTrace: false }, () =>
          Effect.suspend(() => {
            const h = hubs.get(topic.name)
            // Without a hub nobody has ever subscribed to the topic, so nobody can miss the event.
            return h === undefined ? Effect.void : Effect.asVoid(PubSub.publish(h, event))
          })),
      subscribe: <A, I>(topic: Topic<A, I>) =>
        hub(topic.name).pipe(
          Effect.flatMap((h) => PubSub.subscribe(h)),
          Effect.map((queue) => Stream.fromQueue(queue) as Stream.Stream<A>),
          Effect.withSpan("EventBus.subscribe", { attributes: { topic: topic.name } })
        )
    })
  })

export const layer = Layer.effect(EventBus, make())
