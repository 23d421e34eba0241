import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { replaceBetween } from "../../../apps/config.docs.js"
import { renderRoutesTable, routeGroups, ROUTES_MARKERS } from "../../../apps/http/routes.docs.js"

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8")

describe("README route list ↔ RelaygateApi", () => {
  it("lists every route of the HttpApi, grouped as /docs groups them", () => {
    const routes = routeGroups().flatMap((g) => g.routes)
    expect(routes.length).toBeGreaterThan(50)
    expect(routes).toEqual(expect.arrayContaining(["POST /sessions/create", "GET /api/v1/zipcode-assignments/current", "POST /api/v1/clearing/request-token"]))
    expect(new Set(routes).size).toBe(routes.length)
  })

  it("README.md carries the rendered list between its markers", () => {
    expect(readme).toContain(ROUTES_MARKERS.start)
    expect(replaceBetween(readme, ROUTES_MARKERS, renderRoutesTable()), "README.md's route list is stale: run npm run docs:readme").toEqual(readme)
  })
})
