import { Effect } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export interface LocalHttp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly requests: () => ReadonlyArray<SeenRequest>
}

/** An HTTP server on 127.0.0.1:0 for the life of the scope, answering with `handle`. */
export const localHttp = (handle: (req: SeenRequest, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ server: ReturnType<typeof createServer>; seen: Array<SeenRequest> }>((resolve) => {
        const seen: Array<SeenRequest> = []
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const r = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
            seen.push(r)
            handle(r, res)
          })
        })
        server.listen(0, "127.0.0.1", () => resolve({ server, seen }))
      })
    ),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  ).pipe(
    Effect.map(({ seen, server }): LocalHttp => ({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests: () => [...seen]
    }))
  )

export const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}
