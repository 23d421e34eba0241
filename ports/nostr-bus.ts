import { Context, Data, type Effect, type Scope, type Stream } from "effect"

/** A signed Nostr event (NIP-01). */
export interface NostrEvent {
  readonly id: string
  readonly pubkey: string
  readonly created_at: number
  readonly kind: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
  readonly sig: string
}

/** What the bus signs with its own key; `created_at` defaults to now (seconds). */
export interface EventTemplate {
  readonly kind: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
  readonly created_at?: number | undefined
}

/** A NIP-01 filter, the subset the gateway uses. */
export interface NostrFilter {
  readonly ids?: ReadonlyArray<string> | undefined
  readonly kinds?: ReadonlyArray<number> | undefined
  readonly authors?: ReadonlyArray<string> | undefined
  readonly "#p"?: ReadonlyArray<string> | undefined
  readonly "#d"?: ReadonlyArray<string> | undefined
  readonly "#e"?: ReadonlyArray<string> | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
  readonly limit?: number | undefined
}

/** An event whose id and signature verified, delivered once however many relays sent it. */
export interface Delivered {
  readonly event: NostrEvent
  /** The relay it arrived from first. */
  readonly relay: string
}

/** The unsigned inner event of a NIP-59 gift wrap; its author is proven by the seal's signature. */
export interface Rumor {
  readonly id: string
  readonly pubkey: string
  readonly created_at: number
  readonly kind: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
}

/** A NIP-44 v2 encrypted, NIP-59 gift-wrapped message addressed to the bus's key. */
export interface DirectMessage {
  /** The sender: the seal's (signed) author, equal to `rumor.pubkey`. */
  readonly sender: string
  readonly rumor: Rumor
  /** Id of the outer kind 1059 wrap (what relays see). */
  readonly wrap_id: string
  readonly relay: string
}

export type RelayConnectionStatus = "connecting" | "connected" | "disconnected"

/** Why an event a relay sent was not handed to a subscriber. */
export const DROP_REASONS = [
  /** The subscription's inbox was full: events arrived faster than they were verified. */
  "inbox_full",
  /** Not shaped like a Nostr event. */
  "malformed",
  /** Its id or signature does not verify. */
  "invalid_signature",
  /** Outside the subscription's filters. */
  "filter_mismatch",
  /** Already delivered, from this relay or another one. */
  "duplicate",
  /** A gift wrap that does not open: bad seal signature, rumor author other than the seal's, or not decryptable. */
  "undecryptable",
  /** A gift wrap whose rumor is older than the subscription asked for. */
  "stale"
] as const

export type DropReason = typeof DROP_REASONS[number]

export type DroppedEvents = { readonly [R in DropReason]: number }

export interface RelayState {
  readonly url: string
  readonly status: RelayConnectionStatus
  /** Epoch ms of the current connection, null when not connected. */
  readonly connected_since: number | null
  /** Failed or lost connections since start. */
  readonly failures: number
  readonly last_error: string | null
  /** Verified events received on this relay (before de-duplication). */
  readonly events_received: number
  /** Events dropped because they were malformed, did not verify or did not match the filters. */
  readonly invalid_events: number
  /** Every event this relay sent that was not delivered, by reason (including the invalid ones). */
  readonly dropped: DroppedEvents
  /** Published events this relay has not accepted yet; re-sent when it reconnects. */
  readonly pending_publishes: number
}

export interface PublishReport {
  readonly event_id: string
  /** Relays configured. */
  readonly relays: number
  /** Relays that answered OK true. */
  readonly accepted: ReadonlyArray<string>
  readonly rejected: ReadonlyArray<{ readonly relay: string; readonly reason: string }>
}

/**
 * Fewer than a majority of the configured relays accepted the event. It was
 * still handed to those that did, and is re-sent to the others as they
 * reconnect (until `retryUntil`), so this is a warning about reach, not a
 * guarantee that nobody received it.
 */
export class NostrPublishFailed extends Data.TaggedError("NostrPublishFailed")<{
  readonly report: PublishReport
}> {
  override get message() {
    const r = this.report
    return `event ${r.event_id} accepted by ${r.accepted.length} of ${r.relays} relays (a majority is needed)` +
      (r.rejected.length > 0 ? `: ${r.rejected.map((x) => `${x.relay} ${x.reason}`).join("; ")}` : "")
  }
}

/** A NIP-44 payload that does not decrypt with the conversation key (wrong peer, tampered, malformed). */
export class NostrDecryptFailed extends Data.TaggedError("NostrDecryptFailed")<{
  readonly reason: string
}> {
  override get message() {
    return `cannot decrypt: ${this.reason}`
  }
}

/** A recipient or peer key that is not an x-only secp256k1 point. */
export class NostrInvalidPeer extends Data.TaggedError("NostrInvalidPeer")<{
  readonly pubkey: string
}> {
  override get message() {
    return `${this.pubkey} is not a valid x-only public key`
  }
}

export interface PublishOptions {
  /** Epoch ms until which relays that missed the event get it when they reconnect. */
  readonly retryUntil?: number | undefined
}

/**
 * The gateway's presence on a set of Nostr relays, under one key. Every event
 * handed to a subscriber has had its id and signature verified and is
 * delivered once, whichever relays sent it and however often. Connections are
 * per relay and come back by themselves (with backoff), renewing every open
 * subscription.
 */
export class NostrBus extends Context.Tag("relaygate/NostrBus")<
  NostrBus,
  {
    /** The bus's x-only public key, lower-case hex. */
    readonly pubkey: string
    readonly relays: () => Effect.Effect<ReadonlyArray<RelayState>>
    /**
     * Subscribes on every relay for the lifetime of the scope (renewed on each
     * reconnection). When the effect completes every connected relay has
     * registered it (answered EOSE), so whatever is published from then on,
     * by anyone, is delivered; stored events matching the filters come first.
     */
    readonly subscribe: (filters: ReadonlyArray<NostrFilter>) => Effect.Effect<Stream.Stream<Delivered>, never, Scope.Scope>
    /** Signs the template with the bus's key and publishes it to every relay. */
    readonly publish: (template: EventTemplate, options?: PublishOptions) => Effect.Effect<
      { readonly event: NostrEvent; readonly report: PublishReport },
      NostrPublishFailed
    >
    /**
     * Sends `rumor` to `recipient` as a NIP-59 gift wrap: sealed (signed by the
     * bus's key) and wrapped by a one-time key, both layers NIP-44 v2. Relays
     * see neither the sender nor the content.
     */
    readonly sendDirectMessage: (
      recipient: string,
      rumor: Omit<EventTemplate, "created_at">,
      options?: PublishOptions
    ) => Effect.Effect<
      { readonly rumor: Rumor; readonly wrap: NostrEvent; readonly report: PublishReport },
      NostrPublishFailed | NostrInvalidPeer
    >
    /**
     * Gift wraps addressed to the bus's key, unwrapped and authenticated (seal
     * signature, rumor id, rumor author = seal author), for the lifetime of the
     * scope. Wraps are back-dated by up to two days (NIP-59), so the relay query
     * reaches back that far; `since` (seconds) filters on the rumor's own time.
     */
    readonly directMessages: (since: number) => Effect.Effect<Stream.Stream<DirectMessage>, never, Scope.Scope>
    /** NIP-44 v2 with the conversation key of (bus key, peer); keys are cached per peer. */
    readonly encrypt: (peer: string, plaintext: string) => Effect.Effect<string, NostrInvalidPeer>
    readonly decrypt: (peer: string, payload: string) => Effect.Effect<string, NostrDecryptFailed | NostrInvalidPeer>
  }
>() {}
