const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * The regular expression a route template (`/sessions/:session_id/respond`)
 * matches paths with: each `:name` segment is one path segment, captured under
 * its name; a trailing slash is allowed, as the router allows it.
 */
export const routePattern = (template: string): RegExp =>
  new RegExp(`^${template.split("/").map((seg) => (seg.startsWith(":") ? `(?<${seg.slice(1)}>[^/]+)` : escape(seg))).join("/")}/?$`)
