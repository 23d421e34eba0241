import { Schema } from "effect"

/** NOSTR_RELAYS / NOSTR_PRIVATE_KEY are not set, so there is no worker to start or use. */
export class NostrNotConfigured extends Schema.TaggedError<NostrNotConfigured>()("NostrNotConfigured", {}) {
  override get message() {
    return "The Nostr worker is not configured: set NOSTR_RELAYS and NOSTR_PRIVATE_KEY"
  }
}

/** The worker is configured but stopped (POST /nostr/stop); its relay connections are closed. */
export class NostrNotRunning extends Schema.TaggedError<NostrNotRunning>()("NostrNotRunning", {}) {
  override get message() {
    return "The Nostr worker is not running; POST /nostr/start first"
  }
}
