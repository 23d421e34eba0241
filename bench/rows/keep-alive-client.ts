import { connect, type Socket } from "node:net"

/*
 * The load generator of rows 3–4: HTTP/1.1 over keep-alive sockets, each
 * sending its next request when the answer to the last has arrived, from
 * requests serialized before the clock starts. autocannon spent about 100 CPU
 * µs per request here (a quarter of a core at 2,600 req/s), on a machine of two
 * cores where the app under test and its verifier thread already compete for
 * them: its cost was counted against the app. This client reads only what the
 * measurement needs (status line, content-length or chunked framing,
 * connection: close).
 */

export interface Exchange {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: string
}

export interface Answered {
  readonly status: number
  readonly millis: number
  /** The body of a non-2xx answer, cut short; empty for 2xx. */
  readonly body: string
}

export interface ClientRun {
  readonly answers: ReadonlyArray<Answered>
  /** Sockets that failed or closed with a request outstanding. */
  readonly errors: number
}

const HEADER_END = Buffer.from("\r\n\r\n")

const serialize = (host: string, e: Exchange): Buffer => {
  const lines = [`${e.method} ${e.path} HTTP/1.1`, `host: ${host}`]
  if (e.body !== undefined) lines.push("content-type: application/json", `content-length: ${Buffer.byteLength(e.body)}`)
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${e.body ?? ""}`)
}

const CRLF = Buffer.from("\r\n")

/** Where a chunked body that starts at `from` ends, or undefined while it is incomplete. */
const chunkedEnd = (data: Buffer, from: number): number | undefined => {
  let at = from
  for (;;) {
    const line = data.indexOf(CRLF, at)
    if (line === -1) return undefined
    const size = parseInt(data.toString("latin1", at, line), 16)
    if (Number.isNaN(size)) throw new Error("malformed chunk size")
    if (size === 0) {
      // No trailers are expected: the last chunk is followed by an empty line.
      return data.length < line + 4 ? undefined : line + 4
    }
    at = line + 2 + size + 2
    if (data.length < at) return undefined
  }
}

/**
 * Where one response ends in `data`, with its status, or undefined while it is
 * incomplete. It throws on what it cannot frame (no content-length and not chunked).
 */
export const parseResponse = (data: Buffer): { readonly status: number; readonly end: number; readonly close: boolean; readonly bodyStart: number } | undefined => {
  const headerEnd = data.indexOf(HEADER_END)
  if (headerEnd === -1) return undefined
  const head = data.toString("latin1", 0, headerEnd).toLowerCase()
  const status = Number(head.slice(9, 12))
  const bodyStart = headerEnd + 4
  const close = /\r\nconnection:\s*close/.test(head)
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head)
  if (length !== null) {
    const end = bodyStart + Number(length[1])
    return data.length < end ? undefined : { status, end, bodyStart, close }
  }
  if (!/\r\ntransfer-encoding:\s*chunked/.test(head)) throw new Error(`response without a length: ${head.split("\r\n")[0]}`)
  const end = chunkedEnd(data, bodyStart)
  return end === undefined ? undefined : { status, end, bodyStart, close }
}

/** Every exchange once, over `connections` keep-alive sockets to 127.0.0.1:port. */
export const run = (port: number, exchanges: ReadonlyArray<Exchange>, connections: number): Promise<ClientRun> =>
  new Promise((resolve) => {
    const host = `127.0.0.1:${port}`
    const wire = exchanges.map((e) => serialize(host, e))
    const answers: Array<Answered> = []
    let next = 0
    let errors = 0
    let open = 0

    const finish = () => {
      if (open === 0) resolve({ answers, errors })
    }

    const start = () => {
      if (next >= wire.length) return finish()
      open++
      const socket: Socket = connect({ port, host: "127.0.0.1", noDelay: true })
      let pending: Buffer = Buffer.alloc(0)
      let sentAt = 0
      let outstanding = false
      let done = false
      const close = (failed: boolean) => {
        if (done) return
        done = true
        if (failed && outstanding) errors++
        socket.destroy()
        open--
        start()
      }
      const send = () => {
        if (next >= wire.length) {
          done = true
          socket.end()
          open--
          return finish()
        }
        outstanding = true
        sentAt = performance.now()
        socket.write(wire[next++]!)
      }
      socket.on("connect", send)
      socket.on("data", (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
        let r: ReturnType<typeof parseResponse>
        try {
          r = parseResponse(pending)
        } catch {
          return close(true)
        }
        if (r === undefined) return
        outstanding = false
        answers.push({
          status: r.status,
          millis: performance.now() - sentAt,
          body: r.status >= 200 && r.status < 300 ? "" : pending.toString("utf8", r.bodyStart, Math.min(r.end, r.bodyStart + 160))
        })
        pending = pending.subarray(r.end)
        if (r.close) close(false)
        else send()
      })
      socket.on("error", () => close(true))
      socket.on("close", () => close(true))
    }

    for (let i = 0; i < Math.min(connections, wire.length); i++) start()
  })
