import { HttpApi, OpenApi } from "@effect/platform"
import { Context, Option } from "effect"
import { RelaygateApi } from "./api.js"

/**
 * The README's route overview, rendered from RelaygateApi itself (`npm run
 * docs:readme`), so it lists exactly the routes the app serves; the schemas and
 * error bodies are in the OpenAPI document at /docs.
 */
export const routeGroups = (): ReadonlyArray<{ readonly title: string; readonly routes: ReadonlyArray<string> }> => {
  const groups = new Map<string, { title: string; routes: Array<string> }>()
  HttpApi.reflect(RelaygateApi, {
    onGroup: ({ group }) => {
      const title = Option.getOrElse(Context.getOption(group.annotations, OpenApi.Title), () => group.identifier)
      groups.set(group.identifier, { title, routes: [] })
    },
    onEndpoint: ({ endpoint, group }) => {
      groups.get(group.identifier)?.routes.push(`${endpoint.method} ${endpoint.path}`)
    }
  })
  return Array.from(groups.values())
}

export const renderRoutesTable = (): string =>
  [
    "| area | routes |",
    "|---|---|",
    ...routeGroups().map((g) => `| ${g.title} | ${g.routes.map((r) => `\`${r}\``).join(" · ")} |`)
  ].join("\n")

export const ROUTES_MARKERS = {
  start: "<!-- routes-table:start (generated from apps/http/api.ts by npm run docs:readme) -->",
  end: "<!-- routes-table:end -->"
} as const
