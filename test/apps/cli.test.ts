import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { schnorr } from "@noble/curves/secp256k1.js"
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"
import { afterEach, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
const children: Array<ChildProcess> = []

/** Runs `relaygate <args>` as an operator would, with only `env` beyond PATH. */
const relaygate = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(`${root}node_modules/.bin/tsx`, ["apps/cli.ts", ...args], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  child.stdout!.on("data", (d) => (output += d))
  child.stderr!.on("data", (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const waitFor = async (pattern: RegExp, ms = 20_000) => {
    const start = Date.now()
    while (Date.now() - start < ms) {
      const m = output.match(pattern)
      if (m) return m
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`no ${pattern} in output:\n${output}`)
  }
  return { exited, waitFor, output: () => output }
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGTERM")
})

describe("relaygate CLI", () => {
  it("serve starts the HTTP app, reports the configured gateway key and answers /health", async () => {
    const key = bytesToHex(schnorr.utils.randomSecretKey())
    const app = relaygate(["serve"], { PORT: "0", GATEWAY_PRIVATE_KEY: key })
    const [, port] = await app.waitFor(/Listening on http:\/\/[^:]+:(\d+)/)
    const info = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { gateway_pubkey: string }
    expect(info.gateway_pubkey).toBe(bytesToHex(schnorr.getPublicKey(hexToBytes(key))))
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string }
    expect(health.status).toBe("healthy")
    expect(app.output()).not.toContain(key)
  })

  it.each([
    ["PORT", "eighty"],
    ["SESSION_TIMEOUT_MINUTES", "-5"],
    ["BITCOIN_NETWORK", "moonnet"],
    ["GATEWAY_PRIVATE_KEY", "not-a-key"],
    ["MODULES", "ark,payments"]
  ])("an invalid %s stops start-up with one line naming it", async (name, value) => {
    const app = relaygate(["serve"], { PORT: "0", [name]: value })
    expect(await app.exited).toBe(1)
    const lines = app.output().trim().split("\n").filter((l) => !l.includes("npm warn"))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^relaygate: invalid configuration: ${name}: `))
  })

  it("keygen prints a usable key pair", async () => {
    const run = relaygate(["keygen"], {})
    expect(await run.exited).toBe(0)
    const sk = run.output().match(/private_key_hex=([0-9a-f]{64})/)![1]!
    const pk = run.output().match(/pubkey_hex=([0-9a-f]{64})/)![1]!
    expect(bytesToHex(schnorr.getPublicKey(hexToBytes(sk)))).toBe(pk)
    expect(run.output()).toMatch(/npub1[0-9a-z]+/)
  })

  it("an unknown command prints the usage and exits 2", async () => {
    const run = relaygate(["launch"], {})
    expect(await run.exited).toBe(2)
    expect(run.output()).toContain("usage: relaygate serve | worker | migrate | keygen")
  })
})
