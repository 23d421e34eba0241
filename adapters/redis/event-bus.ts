import { Effect, Either, Layer, Queue, Runtime, Schema, Stream } from "effect"
import { DEFAULT_CAPACITY } from "../memory/event-bus.js"
import { EventBus, EventBusUnavailable, type Topic } from "../../ports/event-bus.js"
import { RedisClient } from "./client.js"

interface Listener {
  readonly queue: Queue.Queue<unknown>
  /** False until the subscription is active; events arriving before that were published before it. */
  active: boolean
}

interface Channel {
  /** Settles when Redis confirmed the SUBSCRIBE. */
  readonly ready: Promise<unknown>
  readonly decode: (raw: string) => Either.Either<unknown, unknown>
  readonly listeners: Set<Listener>
}

/**
 * Redis pub/sub: every replica publishes to `<prefix>events:<topic>` and
 * fans what its one subscriber connection receives out to its local
 * subscribers, each through a sliding queue (the in-process bus's semantics:
 * in order per publisher, at most once, a stalled reader loses the oldest
 * events instead of blocking anyone). Events cross as JSON of the topic
 * schema's encoding. A channel stays subscribed for the life of the bus:
 * topics are a fixed handful.
 *
 * A new local subscriber becomes active after a PING on the subscriber
 * connection returns: Redis answers it after everything already published to
 * the connection, so the subscriber never receives an event published before
 * it subscribed.
 */
export const make = (capacity: number = DEFAULT_CAPACITY) =>
  Effect.gen(function*() {
    const { breaker, client, duplicate, prefix } = yield* RedisClient
    const subscriber = yield* duplicate
    const runtime = yield* Effect.runtime<never>()
    const channels = new Map<string, Channel>()
    const channelOf = (name: string) => `${prefix}events:${name}`

    // After a reconnect (autoResubscribe is off, see client.ts): every channel again; one that fails is
    // retried at the next 'ready', and its subscribers meanwhile see a bus that delivers nothing.
    subscriber.on("ready", () => {
      for (const name of channels.keys()) subscriber.subscribe(name).catch(() => undefined)
    })

    subscriber.on("message", (channel: string, message: string) => {
      const c = channels.get(channel)
      if (c === undefined || c.listeners.size === 0) return
      Either.match(c.decode(message), {
        onLeft: (e) =>
          Runtime.runFork(runtime)(
            Effect.logWarning("dropped an event that does not decode").pipe(Effect.annotateLogs({ channel, reason: String(e) }))
          ),
        onRight: (event) => {
          for (const l of c.listeners) if (l.active) Runtime.runSync(runtime)(Queue.offer(l.queue, event))
        }
      })
    })

    const open = <A, I>(topic: Topic<A, I>): Channel => {
      const name = channelOf(topic.name)
      let c = channels.get(name)
      if (c === undefined) {
        const opened: Channel = { ready: subscriber.subscribe(name), decode: Schema.decodeUnknownEither(Schema.parseJson(topic.schema)), listeners: new Set() }
        // A SUBSCRIBE that fails (Redis away) fails the subscribers awaiting it, who may not have attached yet:
        // handled here too, and the channel forgotten so that the next subscribe sends SUBSCRIBE again.
        opened.ready.catch(() => {
          if (channels.get(name) === opened) channels.delete(name)
        })
        channels.set(name, opened)
        c = opened
      }
      return c
    }

    const unavailable = (topic: string) => (cause: unknown) => new EventBusUnavailable({ topic, cause })

    // Compiled once per topic: building a JSON codec per event would dominate publishing.
    const encoders = new WeakMap<Topic<any, any>, (a: unknown) => Effect.Effect<string, unknown>>()
    const encoderOf = <A, I>(topic: Topic<A, I>) => {
      let encode = encoders.get(topic)
      if (encode === undefined) {
        encode = Schema.encode(Schema.parseJson(topic.schema)) as (a: unknown) => Effect.Effect<string, unknown>
        encoders.set(topic, encode)
      }
      return encode
    }

    return EventBus.of({
      publish: <A, I>(topic: Topic<A, I>, event: A) =>
        encoderOf(topic)(event).pipe(
          Effect.mapError(unavailable(topic.name)),
          Effect.flatMap((json) =>
            breaker.guard(Effect.tryPromise({ try: () => client.publish(channelOf(topic.name), json), catch: unavailable(topic.name) }), {
              isOutage: () => true,
              onOpen: unavailable(topic.name)
            })
          ),
          Effect.asVoid,
          Effect.withSpan("EventBus.publish", { attributes: { topic: topic.name } })
        ),
      subscribe: <A, I>(topic: Topic<A, I>) =>
        Effect.gen(function*() {
          const c = open(topic)
          const listener: Listener = { queue: yield* Queue.sliding<unknown>(capacity), active: false }
          yield* Effect.acquireRelease(
            Effect.sync(() => c.listeners.add(listener)),
            () => Effect.zipRight(Effect.sync(() => c.listeners.delete(listener)), Queue.shutdown(listener.queue))
          )
          yield* Effect.tryPromise({ try: () => c.ready.then(() => subscriber.ping()), catch: unavailable(topic.name) })
          listener.active = true
          return Stream.fromQueue(listener.queue) as Stream.Stream<A>
        }).pipe(Effect.withSpan("EventBus.subscribe", { attributes: { topic: topic.name } }))
    })
  })

export const layer = Layer.scoped(EventBus, make())
