import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { finalizeEvent, generateSecretKey, getPublicKey } from "nostr-tools/pure"
import parse from "parse-prometheus-text-format"
import { bytesToHex } from "../../../core/shared/hex.js"
import { eventually } from "../../support/eventually.js"
import { startApp } from "../../support/http-app.js"
import { startRelay } from "../../support/nostr-relay.js"

/** relaygate_nostr_events_dropped by reason, as /metrics reports it. */
const dropped = (baseUrl: string) =>
  Effect.promise(() => fetch(`${baseUrl}/metrics`).then((r) => r.text())).pipe(Effect.map((text) => {
    const family = parse(`${text}\n`).find((f) => f.name === "relaygate_nostr_events_dropped")
    return Object.fromEntries((family?.metrics ?? []).map((m) => [`${m.labels?.["relay"]} ${m.labels?.["reason"]}`, "value" in m ? Number(m.value) : NaN]))
  }))

describe("the in-process Nostr worker", () => {
  it.scopedLive("an intent whose signature does not verify is dropped and shows on /metrics under its relay and reason", () =>
    Effect.gen(function*() {
      const relay = yield* startRelay()
      const key = generateSecretKey()
      const app = yield* startApp({ NOSTR_RELAYS: relay.url, NOSTR_PRIVATE_KEY: bytesToHex(key) })
      const before = yield* dropped(app.baseUrl)
      expect(before[`${relay.url} invalid_signature`]).toBe(0)

      const intent = finalizeEvent({
        kind: 31510,
        created_at: Math.floor(Date.now() / 1000),
        tags: [["d", "act-forged"], ["p", getPublicKey(key)]],
        content: JSON.stringify({ action_id: "act-forged", intent: { recipient_pubkey: getPublicKey(generateSecretKey()), amount: 1, asset_id: "BTC" } })
      }, generateSecretKey())
      yield* relay.inject({ ...intent, content: intent.content.replace("\"amount\":1", "\"amount\":1000000") })
      const after = yield* eventually(dropped(app.baseUrl), (d) => d[`${relay.url} invalid_signature`] === 1, "the forged intent counted")
      expect(after[`${relay.url} inbox_full`]).toBe(0)
      expect(after[`${relay.url} duplicate`]).toBe(0)
    }))
})
