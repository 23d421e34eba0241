import { connect, type Socket } from "node:net"
import { Effect } from "effect"

/*
 * HTTP over a raw socket, for requests a client library would refuse to send
 * (oversized, malformed) or would not stall in the middle of.
 */

export interface RawReply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: any
  /** The server closed the connection (within the wait). */
  readonly closed: boolean
  readonly ms: number
}

const portOf = (baseUrl: string) => Number(new URL(baseUrl).port)

export const open = (baseUrl: string) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect(portOf(baseUrl), "127.0.0.1", () => resolve(s))
    s.once("error", reject)
  })

/** Reads from `socket` until the server closes it or `waitMs` passes; parses the first HTTP response. */
export const readReply = (socket: Socket, waitMs: number) =>
  new Promise<RawReply>((resolve) => {
    const start = Date.now()
    const chunks: Array<Buffer> = []
    let closed = false
    const finish = () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString("utf8")
      const [head = "", ...rest] = text.split("\r\n\r\n")
      const [statusLine = "", ...lines] = head.split("\r\n")
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]))
      let body: any = rest.join("\r\n\r\n")
      try {
        body = JSON.parse(body)
      } catch {
        // chunked or not JSON: the raw text
      }
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers, body, closed, ms: Date.now() - start })
    }
    const timer = setTimeout(() => {
      socket.destroy()
      finish()
    }, waitMs)
    socket.on("data", (d) => chunks.push(d))
    socket.on("error", () => undefined)
    socket.once("close", () => {
      closed = true
      finish()
    })
  })

/** One raw request: `head` lines, then `body`; reads the reply. */
export const rawRequest = (baseUrl: string, data: string | Buffer, waitMs = 5_000) =>
  Effect.promise(async () => {
    const socket = await open(baseUrl)
    const reply = readReply(socket, waitMs)
    socket.write(data)
    return reply
  })
