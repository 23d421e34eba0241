import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"

/**
 * RELIABILITY.md maps each guarantee to a test file and test name. A renamed
 * or deleted test must take its row with it, so every row is checked against
 * the file it names.
 */

const ROOT = new URL("../", import.meta.url).pathname
const doc = readFileSync(`${ROOT}RELIABILITY.md`, "utf8")

interface Row {
  readonly file: string
  readonly name: string
}

const rows: ReadonlyArray<Row> = doc.split("\n")
  .filter((line) => line.startsWith("|") && line.includes("`test/"))
  .map((line) => {
    const cells = line.slice(1, -1).split(" | ").map((c) => c.trim())
    const file = /`(test\/[^`]+)`/.exec(cells[1] ?? "")?.[1] ?? ""
    // A trailing "(…)" is a note for the reader, not part of the test's name.
    const name = (cells[2] ?? "").replace(/\s*\([^()]*(?:`[^`]*`[^()]*)*\)$/, "")
    return { file, name }
  })

/** How the name appears in source: quotes and backslashes escaped as in a string literal. */
const inSource = (name: string) => [name, name.replace(/\\/g, "\\\\").replace(/"/g, "\\\"")]

describe("RELIABILITY.md", () => {
  it("lists the guarantees (never lost, never double-applied, never accepted) with a test each", () => {
    for (const heading of ["## Never lost", "## Never double-applied", "## Never accepted"]) expect(doc).toContain(heading)
    expect(rows.length).toBeGreaterThan(60)
  })

  it("names, for every guarantee, a test file that exists and a test in it by its exact name", () => {
    const missing = rows.filter(({ file, name }) =>
      file === "" || name === "" || !existsSync(`${ROOT}${file}`) || !inSource(name).some((n) => readFileSync(`${ROOT}${file}`, "utf8").includes(n))
    )
    expect(missing).toEqual([])
  })
})
