import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

const filesUnder = (dir: string): Array<string> =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name)
    return statSync(join(root, path)).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : []
  })

const importsOf = (file: string): Array<string> =>
  Array.from(readFileSync(join(root, file), "utf8").matchAll(/^\s*(?:import|export)[^"'`]*?from\s+["']([^"']+)["']/gm), (m) => m[1]!)

/** Packages that do I/O or belong to an edge; none may appear in core/ or ports/. */
const IO = /^(node:|ioredis|mysql2|@grpc\/|nostr-tools|ws$|@aws-sdk\/|@effect\/platform-node|@effect\/sql-mysql2|@cosmjs\/|jose|prom-client)/

const resolvesInto = (file: string, spec: string, folder: string) =>
  spec.startsWith(".") && relative(root, join(root, file, "..", spec)).startsWith(`${folder}/`)

const isService = (file: string) => /(^|\/)(service|[\w-]+\.service)\.ts$/.test(file)

describe("the one rule: arrows point inward", () => {
  const core = filesUnder("core")
  const ports = filesUnder("ports")

  it("core and ports import no adapter, app or I/O library", () => {
    const offenders = [...core, ...ports].flatMap((f) =>
      importsOf(f)
        .filter((s) => IO.test(s) || resolvesInto(f, s, "adapters") || resolvesInto(f, s, "apps"))
        .map((s) => `${f} → ${s}`))
    expect(offenders).toEqual([])
  })

  it("only core service files import ports", () => {
    const offenders = core.filter((f) => !isService(f)).flatMap((f) =>
      importsOf(f).filter((s) => resolvesInto(f, s, "ports")).map((s) => `${f} → ${s}`))
    expect(offenders).toEqual([])
  })

  it("models and machines import only effect, pure libraries and other core files", () => {
    const pure = core.filter((f) => /(model|machine|\.machine)\.ts$/.test(f))
    const offenders = pure.flatMap((f) =>
      importsOf(f)
        .filter((s) => !(s === "effect" || s.startsWith("@noble/") || s.startsWith("@scure/") || resolvesInto(f, s, "core")))
        .map((s) => `${f} → ${s}`))
    expect(offenders).toEqual([])
  })
})
