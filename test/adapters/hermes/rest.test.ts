import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layer } from "../../../adapters/hermes/rest.js"
import { Hermes } from "../../../ports/hermes.js"
import { hermesContract } from "../../contracts/hermes.js"
import { json, localHttp } from "../../support/local-http.js"

const RELAY_TX = "5F".repeat(32)

/** Hermes REST as crates/relayer-rest answers: `{status, result}` envelopes. */
const fakeHermes = localHttp((req, res) => {
  const url = new URL(req.url, "http://x")
  if (req.method === "GET" && url.pathname === "/version") {
    return json(res, 200, { status: "success", result: [{ name: "hermes", version: "1.13.1" }, { name: "ibc-relayer-rest", version: "0.30.0" }] })
  }
  if (req.method === "GET" && url.pathname === "/chains") return json(res, 200, { status: "success", result: ["osmosis-1", "noble-1"] })
  if (req.method === "GET" && url.pathname === "/state") {
    return json(res, 200, { status: "success", result: { chains: ["osmosis-1", "noble-1"], workers: { Packet: [{ id: 1 }, { id: 2 }], Client: [{ id: 3 }] } } })
  }
  if (req.method === "POST" && url.pathname === "/clear_packets") {
    const chain = url.searchParams.get("chain")
    if (chain === "down-1") return json(res, 502, { message: "bad gateway" })
    if (chain !== "osmosis-1") return json(res, 200, { status: "error", result: `chain '${chain}' not found` })
    return json(res, 200, { status: "success", result: [{ event: { WriteAcknowledgement: {} }, height: { revision_number: 1, revision_height: 5 }, tx_hash: RELAY_TX }] })
  }
  res.writeHead(404).end()
})

const hermesAt = Layer.unwrapScoped(
  Effect.map(fakeHermes, (server) => layer({ url: `${server.url}/` }).pipe(Layer.provide(FetchHttpClient.layer)))
)

const request = { chain_id: "osmosis-1", port_id: "transfer", channel_id: "channel-750", sequences: [7] }

hermesContract("REST", hermesAt, { accepted: request, refused: { ...request, chain_id: "unknown-1" }, scope: "chain" })

describe("Hermes REST adapter", () => {
  it.scoped("clears a whole chain with POST /clear_packets?chain=ID and reports Hermes' tx hashes", () =>
    Effect.gen(function*() {
      const server = yield* fakeHermes
      const hermes = yield* Effect.provide(Hermes, layer({ url: server.url }).pipe(Layer.provide(FetchHttpClient.layer)))
      const report = yield* hermes.clearPackets(request)
      expect(report).toEqual({ scope: "chain", tx_hashes: [RELAY_TX] })
      const post = server.requests().find((r) => r.method === "POST")!
      expect(post.url).toBe("/clear_packets?chain=osmosis-1")
    }))

  it.effect("reads /version, /state and /chains", () =>
    Effect.provide(
      Effect.gen(function*() {
        const hermes = yield* Hermes
        expect(yield* hermes.version()).toEqual([{ name: "hermes", version: "1.13.1" }, { name: "ibc-relayer-rest", version: "0.30.0" }])
        expect(yield* hermes.state()).toEqual({ chains: ["osmosis-1", "noble-1"], workers: { Packet: 2, Client: 1 } })
        expect(yield* hermes.chains()).toEqual([{ chain_id: "osmosis-1" }, { chain_id: "noble-1" }])
      }),
      hermesAt
    ))

  it.effect("treats gateway errors and an unreachable Hermes as unavailable", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Effect.provide(Effect.flatMap(Hermes, (h) => h.clearPackets({ ...request, chain_id: "down-1" })), hermesAt))
      expect(bad._tag).toBe("HermesUnavailable")
      const nowhere = layer({ url: "http://127.0.0.1:1" }).pipe(Layer.provide(FetchHttpClient.layer))
      const gone = yield* Effect.flip(Effect.provide(Effect.flatMap(Hermes, (h) => h.version()), nowhere))
      expect(gone._tag).toBe("HermesUnavailable")
    }))
})
