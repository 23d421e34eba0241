import { execFile } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
const run = promisify(execFile)
const tsc = join(root, "node_modules/typescript/bin/tsc")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> }

/**
 * What a solver gets from `npm pack`: the package.json as it is and dist/ as
 * `npm run build` emits it (same tsconfig.build.json), with the examples
 * compiled beside it. Everything below runs on plain `node` and plain `tsc`,
 * without tsx and without the relaygate-source condition, so imports of
 * `relaygate/...` resolve through `exports` to the emitted JS and d.ts.
 */
let dir = ""

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "relaygate-pkg-"))
  cpSync(join(root, "package.json"), join(dir, "package.json"))
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir")
  writeFileSync(join(dir, "tsconfig.emit.json"), JSON.stringify({
    extends: join(root, "tsconfig.build.json"),
    include: [join(root, "core/**/index.ts"), join(root, "ports/index.ts"), join(root, "adapters/*/index.ts"), join(root, "client/index.ts"), join(root, "types"), join(root, "examples")],
    compilerOptions: { outDir: join(dir, "dist"), rootDir: root, sourceMap: false, typeRoots: [join(root, "node_modules/@types")] }
  }))
  await run(process.execPath, [tsc, "-p", join(dir, "tsconfig.emit.json")], { cwd: root }).catch((e: { stdout: string }) => {
    throw new Error(`the build does not compile:\n${e.stdout}`)
  })
  cpSync(join(root, "adapters/file/demo-zipcodes.json"), join(dir, "dist/adapters/file/demo-zipcodes.json"))
}, 400_000)

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true })
})

describe("the package as a solver installs it (dist JS + d.ts)", () => {
  it("every export resolves to emitted JS and declarations, and loads on plain node", async () => {
    const entries = Object.keys(pkg.exports).filter((k) => k !== "./package.json")
    const script = `
      const names = ${JSON.stringify(entries)}
      const out = {}
      for (const e of names) out[e] = Object.keys(await import(e === "." ? "relaygate" : "relaygate/" + e.slice(2))).length
      console.log(JSON.stringify(out))`
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: dir })
    const loaded = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number>
    expect(Object.keys(loaded).sort()).toEqual(entries.sort())
    expect(Object.entries(loaded).filter(([, n]) => n === 0)).toEqual([])
    for (const e of entries) {
      const target = (pkg.exports[e] as { types: string }).types
      expect(readFileSync(join(dir, target), "utf8").length, target).toBeGreaterThan(0)
    }
  }, 120_000)

  it("the embedded-solver example, compiled to JS, runs on plain node and moves the money", async () => {
    const { stdout } = await run(process.execPath, [join(dir, "dist/examples/embedded-solver.js")], { cwd: dir, timeout: 150_000 })
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toMatchObject({
      status: "completed",
      sender: { available: 40_000, reserved: 0 },
      recipient: { available: 10_000, reserved: 0 }
    })
  }, 180_000)

  it("a consumer type-checks against the shipped declarations alone", async () => {
    writeFileSync(join(dir, "consumer.ts"), `
      import { Effect } from "effect"
      import { RelaygateClient, layer, publicKeyOf } from "relaygate/client"
      import { SessionNotFound } from "relaygate/core/signing"
      const program = Effect.gen(function*() {
        const client = yield* RelaygateClient
        const s = yield* client.sessions.get({ path: { session_id: "x" } })
        const status: "initiated" | "challenge_sent" | "awaiting_signature" | "signing" | "completed" | "failed" | "expired" = s.status
        return status
      }).pipe(Effect.catchTag("SessionNotFound", (e: SessionNotFound) => Effect.succeed(e.session_id)))
      export const main = program.pipe(Effect.provide(layer({ baseUrl: "http://localhost:8000" })))
      export const me: string = publicKeyOf({ secretKey: new Uint8Array(32).fill(1) })
      // @ts-expect-error the contract's payload fields are typed
      export const wrong = Effect.flatMap(RelaygateClient, (c) => c.sessions.create({ payload: { user_pubkey: 1 } }))
    `)
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] },
      files: ["consumer.ts"]
    }))
    await run(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { cwd: dir }).catch((e: { stdout: string }) => {
      throw new Error(`consumer does not type-check:\n${e.stdout}`)
    })
  }, 180_000)
})
