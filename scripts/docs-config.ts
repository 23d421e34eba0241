/** Renders the configuration table of README.md from apps/config.docs.ts (`npm run docs:config`). */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { README_MARKERS, withConfigTable } from "../apps/config.docs.js"

const path = fileURLToPath(new URL("../README.md", import.meta.url))
const before = readFileSync(path, "utf8")
const after = withConfigTable(before)
if (after === undefined) {
  console.error(`README.md lacks the markers ${README_MARKERS.start} … ${README_MARKERS.end}`)
  process.exit(1)
}
if (after !== before) writeFileSync(path, after)
console.log(after === before ? "README.md configuration table is up to date" : "README.md configuration table rewritten")
