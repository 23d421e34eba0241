/*
 * The public HTTP API, as any client would call it. Each module answers errors
 * with its own body (ark `{error, code}`, epochs `{statusCode, message}`,
 * clearing `{error: {code, message, suggestion}}`); `describe` reads all three.
 */

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code: string | null, readonly body: unknown) {
    super(message)
  }
}

const describe = (status: number, body: unknown): { message: string; code: string | null } => {
  if (typeof body === "object" && body !== null) {
    const b = body as Record<string, any>
    if (typeof b["error"] === "object" && b["error"] !== null) {
      const e = b["error"] as Record<string, unknown>
      const text = [e["message"], e["suggestion"]].filter((x) => typeof x === "string" && x !== "").join(" ")
      return { message: text || `HTTP ${status}`, code: typeof e["code"] === "string" ? e["code"] : null }
    }
    if (typeof b["error"] === "string") {
      const detail = typeof b["message"] === "string" ? `: ${b["message"]}` : ""
      return { message: `${b["error"]}${detail}`, code: typeof b["code"] === "string" ? b["code"] : null }
    }
    if (Array.isArray(b["message"])) return { message: b["message"].join("; "), code: null }
    if (typeof b["message"] === "string") return { message: b["message"], code: null }
  }
  return { message: typeof body === "string" && body !== "" ? body.slice(0, 200) : `HTTP ${status}`, code: null }
}

export interface CallOptions {
  readonly method?: string
  readonly body?: unknown
  readonly token?: string | null
  readonly adminKey?: string | null
  /** Statuses whose body is still the answer (e.g. /ready's 503). */
  readonly acceptStatus?: ReadonlyArray<number>
}

export const api = async <A = any>(path: string, o: CallOptions = {}): Promise<A> => {
  const headers: Record<string, string> = { accept: "application/json" }
  if (o.body !== undefined) headers["content-type"] = "application/json"
  if (o.token) headers["authorization"] = `Bearer ${o.token.replace(/^Bearer\s+/i, "").trim()}`
  if (o.adminKey) headers["x-admin-key"] = o.adminKey
  let res: Response
  try {
    res = await fetch(path, { method: o.method ?? "GET", headers, ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) })
  } catch {
    throw new ApiError(0, "The gateway cannot be reached. Check your connection and try again.", "NETWORK", null)
  }
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === "" ? null : JSON.parse(text)
  } catch {
    // not JSON: described as text
  }
  if (res.ok || (o.acceptStatus ?? []).includes(res.status)) return body as A
  const d = describe(res.status, body)
  throw new ApiError(res.status, d.message, d.code, body)
}

export const errorText = (e: unknown) => (e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e))
