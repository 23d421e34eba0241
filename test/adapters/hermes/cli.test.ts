import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { lastEnvelope, layer } from "../../../adapters/hermes/cli.js"
import { Hermes } from "../../../ports/hermes.js"
import { hermesContract } from "../../contracts/hermes.js"

const RELAY_TXS = ["A1".repeat(32), "b2".repeat(32)]

/** A stand-in `hermes` binary: logs its arguments, answers like `hermes --json`. */
const fakeBinary = () => {
  const dir = mkdtempSync(join(tmpdir(), "fake-hermes-"))
  const log = join(dir, "calls.log")
  const bin = join(dir, "hermes")
  writeFileSync(bin, `#!/usr/bin/env node
const fs = require("fs")
const args = process.argv.slice(2)
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n")
const out = (v) => process.stdout.write(JSON.stringify(v) + "\\n")
if (args.includes("version")) { out({ result: "hermes 1.13.1+5e403dd", status: "success" }); process.exit(0) }
const channel = args[args.indexOf("--channel") + 1]
process.stderr.write("2025-07-13T00:00:00Z INFO ThreadId(01) using default configuration\\n")
if (channel === "channel-999") { out({ result: "channel 'channel-999' not found on chain osmosis-1", status: "error" }); process.exit(1) }
if (channel === "channel-panic") { process.stderr.write("thread 'main' panicked\\n"); process.exit(101) }
process.stdout.write('{"timestamp":"2025-07-13T00:00:00Z","level":"INFO","fields":{"message":"clearing"}}\\n')
out({ result: [{ event: { WriteAcknowledgement: { packet: {} } }, height: { revision_number: 1, revision_height: 9 }, tx_hash: ${JSON.stringify(RELAY_TXS[0])} }, { tx_hash: ${JSON.stringify(RELAY_TXS[1])} }], status: "success" })
`)
  chmodSync(bin, 0o755)
  return { bin, calls: () => readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Array<string>) }
}

const fake = fakeBinary()
const hermesCli = layer({ bin: fake.bin, config: "/etc/hermes/config.toml" })
const request = { chain_id: "osmosis-1", port_id: "transfer", channel_id: "channel-750", sequences: [12, 3, 7] }

hermesContract("CLI", hermesCli, { accepted: request, refused: { ...request, channel_id: "channel-999" }, scope: "sequences" })

describe("Hermes CLI adapter", () => {
  it.effect("runs `hermes --json clear packets` for the exact sequences and parses its JSON output", () =>
    Effect.provide(
      Effect.gen(function*() {
        const report = yield* (yield* Hermes).clearPackets(request)
        expect(report).toEqual({ scope: "sequences", tx_hashes: RELAY_TXS.map((h) => h.toUpperCase()) })
        expect(fake.calls().at(-1)).toEqual([
          "--json", "--config", "/etc/hermes/config.toml",
          "clear", "packets", "--chain", "osmosis-1", "--port", "transfer", "--channel", "channel-750", "--packet-sequences", "3,7,12"
        ])
      }),
      hermesCli
    ))

  it.effect("reads the version and declines what only the REST API reports", () =>
    Effect.provide(
      Effect.gen(function*() {
        const hermes = yield* Hermes
        expect(yield* hermes.version()).toEqual([{ name: "hermes", version: "1.13.1+5e403dd" }])
        expect((yield* Effect.flip(hermes.state()))._tag).toBe("HermesUnavailable")
      }),
      hermesCli
    ))

  it.effect("reports a crash without JSON as a rejection and a missing binary as unavailable", () =>
    Effect.gen(function*() {
      const crash = yield* Effect.flip(Effect.provide(Effect.flatMap(Hermes, (h) => h.clearPackets({ ...request, channel_id: "channel-panic" })), hermesCli))
      expect(crash).toMatchObject({ _tag: "HermesRejected" })
      expect(crash.reason).toContain("101")
      const missing = layer({ bin: "/nonexistent/hermes" })
      const gone = yield* Effect.flip(Effect.provide(Effect.flatMap(Hermes, (h) => h.clearPackets(request)), missing))
      expect(gone._tag).toBe("HermesUnavailable")
    }))

  it("takes the last status line and skips log lines", () => {
    expect(lastEnvelope("{\"level\":\"INFO\"}\n{\"result\":1,\"status\":\"success\"}\n{not json\n")).toEqual({ status: "success", result: 1 })
    expect(lastEnvelope("Success: []\n")).toBeUndefined()
  })
})

