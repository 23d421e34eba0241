import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))

interface Target {
  readonly "relaygate-source": string
  readonly types: string
  readonly default: string
}
const exportsMap = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, Target | string> }).exports
const entries = Object.entries(exportsMap).filter((e): e is [string, Target] => typeof e[1] !== "string")
const sourceOf = (t: Target) => t["relaygate-source"].replace(/^\.\//, "")

const dirs = (dir: string) => readdirSync(join(root, dir)).filter((d) => statSync(join(root, dir, d)).isDirectory())

/** Folders under adapters/ that are shared machinery of the adapters, not an adapter family of their own. */
const INTERNAL_ADAPTER_FOLDERS = new Set(["resilience"])

/** Relative imports of a file, resolved to repository paths (`.js` specifiers name `.ts` sources). */
const importsOf = (file: string): { readonly local: Array<string>; readonly packages: Array<string> } => {
  const specs = Array.from(
    readFileSync(join(root, file), "utf8").matchAll(/^\s*(?:import|export)[^"'`]*?from\s+["']([^"']+)["']/gm),
    (m) => m[1]!
  )
  return {
    local: specs.filter((s) => s.startsWith(".")).map((s) => relative(root, join(root, dirname(file), s)).replace(/\.js$/, ".ts"))
      .filter((p) => p.endsWith(".ts")),
    packages: specs.filter((s) => !s.startsWith("."))
  }
}

/** Every repository file an entry point loads, and the packages they import. */
const graphOf = (entry: string) => {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (f: string) => {
    if (files.has(f) || !existsSync(join(root, f))) return
    files.add(f)
    const { local, packages: pkgs } = importsOf(f)
    pkgs.forEach((p) => packages.add(p))
    local.forEach(visit)
  }
  visit(entry)
  return { files: Array.from(files), packages: Array.from(packages) }
}

describe("package.json exports", () => {
  it("each entry's source exists, and its types and JS are the source's place in dist/", () => {
    expect(entries.length).toBeGreaterThan(20)
    for (const [name, t] of entries) {
      expect(existsSync(join(root, sourceOf(t))), `${name} → ${sourceOf(t)}`).toBe(true)
      expect(t.types, name).toBe(`./dist/${sourceOf(t).replace(/\.ts$/, ".d.ts")}`)
      expect(t.default, name).toBe(`./dist/${sourceOf(t).replace(/\.ts$/, ".js")}`)
    }
  })

  it("every core context, the ports and every adapter family is exported", () => {
    const wanted = [
      ...dirs("core").map((d) => `./core/${d}`),
      "./ports",
      ...dirs("adapters").filter((d) => !INTERNAL_ADAPTER_FOLDERS.has(d)).map((d) => `./adapters/${d}`),
      "./client"
    ]
    expect(wanted.filter((w) => !(w in exportsMap))).toEqual([])
  })

  it("each index re-exports every module of its folder (a new file is not silently left out)", () => {
    const missing = entries.filter(([name]) => name !== "." && name !== "./client").flatMap(([, t]) => {
      const index = sourceOf(t)
      const folder = dirname(index)
      const reexported = new Set(importsOf(index).local)
      return readdirSync(join(root, folder))
        .filter((f) => f.endsWith(".ts") && f !== "index.ts")
        .map((f) => join(folder, f))
        .filter((f) => !reexported.has(f))
    })
    expect(missing).toEqual([])
  })
})

describe("the public surface does not expose the app's internals", () => {
  it("the core, ports and adapters entries load nothing from apps/", () => {
    const leaks = entries.filter(([name]) => name !== "./client").flatMap(([name, t]) =>
      graphOf(sourceOf(t)).files.filter((f) => f.startsWith("apps/")).map((f) => `${name} → ${f}`))
    expect(leaks).toEqual([])
  })

  it("the client loads only the HTTP contract (no handlers, server, wiring, config or I/O libraries)", () => {
    const client = exportsMap["./client"] as Target
    const { files, packages } = graphOf(sourceOf(client))
    const apps = files.filter((f) => f.startsWith("apps/"))
    expect(apps).toContain("apps/http/api.ts")
    expect(apps.filter((f) => !/^apps\/(http|worker)\//.test(f) || /\.handlers\.ts$|^apps\/http\/(server|ws)\.ts$/.test(f))).toEqual([])
    // Ports are interfaces (a contract may name their constants); no adapter is loaded.
    expect(files.filter((f) => f.startsWith("adapters/"))).toEqual([])
    const io = /^(node:|ioredis|mysql2|@grpc\/|ws$|@aws-sdk\/|@effect\/platform-node|@effect\/sql|@cosmjs\/|prom-client|nostr-tools)/
    expect(packages.filter((p) => io.test(p))).toEqual([])
  })
})
