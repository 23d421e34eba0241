/** Renders README.md's generated tables: configuration (apps/config.docs.ts) and routes (apps/http/api.ts). `npm run docs:readme` */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { README_MARKERS, renderConfigTable, replaceBetween } from "../apps/config.docs.js"
import { renderRoutesTable, ROUTES_MARKERS } from "../apps/http/routes.docs.js"

const path = fileURLToPath(new URL("../README.md", import.meta.url))
const before = readFileSync(path, "utf8")
let after = before
for (const [markers, content] of [[README_MARKERS, renderConfigTable()], [ROUTES_MARKERS, renderRoutesTable()]] as const) {
  const next = replaceBetween(after, markers, content)
  if (next === undefined) {
    console.error(`README.md lacks the markers ${markers.start} … ${markers.end}`)
    process.exit(1)
  }
  after = next
}
if (after !== before) writeFileSync(path, after)
console.log(after === before ? "README.md tables are up to date" : "README.md tables rewritten")
