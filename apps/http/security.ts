import { HttpApiBuilder, HttpApp, HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import { CorsConfig } from "../config.js"

/**
 * JSON answers and static pages of this origin: nothing from elsewhere, no
 * plugins, never framed. Routes that need more (the console's WebSocket) set
 * their own policy, which is kept.
 */
export const DEFAULT_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

/** HttpApiSwagger's page is one HTML file with its script and styles inline. */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

const isDocsPage = (url: string) => /^\/docs\/?(?:\?|$)/.test(url)

/** The security headers an answer to `url` carries. */
export const securityHeadersFor = (url: string): Readonly<Record<string, string>> => ({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": isDocsPage(url) ? DOCS_CSP : DEFAULT_CSP
})

/** Adds each header the route did not set itself. */
export const withSecurityHeaders = (url: string, response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeaders(
    response,
    Object.fromEntries(Object.entries(securityHeadersFor(url)).filter(([k]) => response.headers[k] === undefined))
  )

/**
 * Security headers on every answer (routes, docs, error bodies, unknown
 * routes, refusals of the connection guard). The server writes a route's
 * response before outer middleware sees it, so for those they go on as a
 * pre-response handler; a response made by middleware itself (a refusal) is
 * written after, so it gets them here.
 */
export const securityHeaders = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.zipRight(
      HttpApp.appendPreResponseHandler((req, response) => Effect.succeed(withSecurityHeaders(req.url, response))),
      Effect.map(app, (response) => withSecurityHeaders(request.url, response))
    ))

/** The same inside the API, so an app built without the server's middleware (in-process tests) has them too. */
const SecurityHeadersLive = HttpApiBuilder.middleware(securityHeaders)

/** Headers a browser page may send and read across origins when CORS is on. */
const ALLOWED_HEADERS = ["content-type", "authorization", "x-admin-key"]
const EXPOSED_HEADERS = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"]

/** CORS_ORIGINS unset → no CORS middleware at all (ARCHITECTURE.md: off by default). */
const CorsLive = Layer.unwrapEffect(
  Effect.map(CorsConfig, (origins) =>
    Option.match(origins, {
      onNone: () => Layer.empty,
      onSome: (allowed) => {
        const listed = allowed === "*" ? undefined : new Set(allowed)
        return HttpApiBuilder.middleware(HttpMiddleware.cors({
          // A predicate, so an unlisted origin gets no allow-origin header even when only one is listed.
          allowedOrigins: listed === undefined ? [] : (origin: string) => listed.has(origin),
          allowedHeaders: ALLOWED_HEADERS,
          exposedHeaders: EXPOSED_HEADERS,
          maxAge: 600
        }))
      }
    }))
)

export const SecurityLive = Layer.mergeAll(SecurityHeadersLive, CorsLive)
