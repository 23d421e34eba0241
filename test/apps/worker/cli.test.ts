import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { nip19 } from "nostr-tools"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { describeConfigError, NostrConfig } from "../../../apps/config.js"
import { bytesToHex, hexToBytes } from "../../../core/shared/hex.js"
import { startRelay } from "../../support/nostr-relay.js"
import { makeWallet } from "../../support/nostr-wallet.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))

/** `relaygate worker` as an operator runs it, with only `env` beyond PATH; killed with the scope. */
const worker = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child: ChildProcess = spawn(`${root}node_modules/.bin/tsx`, ["apps/cli.ts", "worker"], {
        cwd: root,
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (d) => (output += d))
      child.stderr!.on("data", (d) => (output += d))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      return { child, exited, output: () => output }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  )

const lines = (output: string) => output.trim().split("\n").filter((l) => l !== "" && !l.includes("npm warn"))

describe("relaygate worker", () => {
  it.effect("NOSTR_RELAYS / NOSTR_PRIVATE_KEY errors name the variable in one line", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
        [{ NOSTR_RELAYS: "ws://127.0.0.1:1" }, /^NOSTR_PRIVATE_KEY: Expected a key: NOSTR_RELAYS is set$/],
        [{ NOSTR_PRIVATE_KEY: "a".repeat(64) }, /^NOSTR_RELAYS: Expected relay URLs: NOSTR_PRIVATE_KEY is set$/],
        [{ NOSTR_RELAYS: "ws://127.0.0.1:1", NOSTR_PRIVATE_KEY: "nsec1notakey" }, /^NOSTR_PRIVATE_KEY: Expected 64 hex characters or an nsec1… key/],
        [{ NOSTR_RELAYS: "ws://127.0.0.1:1", NOSTR_PRIVATE_KEY: "0".repeat(64) }, /^NOSTR_PRIVATE_KEY: Expected 64 hex/],
        [{ NOSTR_RELAYS: "ws://127.0.0.1:1", NOSTR_PRIVATE_KEY: "abc" }, /^NOSTR_PRIVATE_KEY: Expected 64 hex/],
        [{ NOSTR_RELAYS: "http://relay.example", NOSTR_PRIVATE_KEY: "a".repeat(64) }, /^NOSTR_RELAYS: Expected a comma-separated list of ws/],
        [{ NOSTR_RELAYS: "wss://a.example, ,", NOSTR_PRIVATE_KEY: "a".repeat(64) }, /^ok$/],
        [{}, /^ok$/]
      ]
      for (const [env, expected] of cases) {
        const result = yield* Effect.either(Effect.withConfigProvider(NostrConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
        const line = Either.isLeft(result) ? describeConfigError(result.left) : "ok"
        expect([env, line]).toEqual([env, expect.stringMatching(expected)])
      }
      const parsed = yield* Effect.withConfigProvider(
        NostrConfig,
        ConfigProvider.fromMap(new Map([["NOSTR_RELAYS", "wss://a.example, ws://127.0.0.1:7000,wss://a.example"], ["NOSTR_PRIVATE_KEY", nip19.nsecEncode(hexToBytes("1".padStart(64, "0")))]]))
      )
      expect(Option.map(parsed, (c) => [c.relays, Redacted.value(c.privateKey)])).toEqual(
        Option.some([["wss://a.example", "ws://127.0.0.1:7000"], "1".padStart(64, "0")])
      )
    }))

  it.scopedLive("refuses to start without NOSTR_RELAYS and NOSTR_PRIVATE_KEY, in one line", () =>
    Effect.gen(function*() {
      const run = yield* worker({})
      expect(yield* Effect.promise(() => run.exited)).toBe(1)
      expect(lines(run.output())).toEqual(["relaygate: the worker needs NOSTR_RELAYS and NOSTR_PRIVATE_KEY"])
    }), 120_000)

  it.scopedLive("runs standalone (nsec key): a wallet's intent is challenged, signed and answered with the ceremony's outcome", () =>
    Effect.gen(function*() {
      const relay = yield* startRelay()
      const key = generateSecretKey()
      const gateway = getPublicKey(key)
      const run = yield* worker({ NOSTR_RELAYS: relay.url, NOSTR_PRIVATE_KEY: nip19.nsecEncode(key), LOG_LEVEL: "Info" })
      yield* Effect.promise(async () => {
        const start = Date.now()
        while (!run.output().includes("nostr worker listening")) {
          // tsx compiles on start; on a loaded machine that alone can take a while
          if (Date.now() - start > 90_000) throw new Error(`worker did not start:\n${run.output()}`)
          await new Promise((r) => setTimeout(r, 50))
        }
      })
      expect(run.output()).not.toContain(bytesToHex(key))
      const wallet = yield* makeWallet([relay.url])
      yield* wallet.publishIntent(gateway, {
        action_id: "standalone-1",
        intent: { recipient_pubkey: getPublicKey(generateSecretKey()), amount: 5_000, asset_id: "BTC" }
      })
      const challenge = yield* wallet.waitForDm((dm) => dm.kind === 31511, "challenge", 20_000)
      yield* wallet.sendDm(gateway, 31512, {
        session_id: challenge.content.session_id,
        type: challenge.content.type,
        signature: wallet.signChallenge(challenge.content.payload_to_sign),
        payload_ref: challenge.content.challenge_id
      })
      // A standalone worker has its own (memory) ledger, which nobody funded: where
      // transfers are booked on it the ceremony refuses, and the wallet hears why.
      const session = challenge.content.session_id
      const outcome = yield* Effect.promise(async () => {
        const start = Date.now()
        while (Date.now() - start < 30_000) {
          const confirmed = wallet.publicEvents.find((e) => e.tags.some((t) => t[0] === "d" && t[1] === session))
          if (confirmed !== undefined) return { kind: 31340, content: JSON.parse(confirmed.content) }
          const failed = wallet.dms.find((dm) => dm.kind === 31341 && dm.content.session_id === session)
          if (failed !== undefined) return { kind: 31341, content: failed.content }
          await new Promise((r) => setTimeout(r, 50))
        }
        throw new Error(`no outcome for ${session}:\n${run.output()}`)
      })
      if (outcome.kind === 31340) expect(outcome.content).toMatchObject({ status: "completed", amount: 5_000 })
      else expect(outcome.content).toMatchObject({ status: "failure", code: 3001, error: "CEREMONY_FAILED", message: expect.stringMatching(/balance/i) })
    }), 150_000)
})
