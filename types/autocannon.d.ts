/** The subset of autocannon 9 the benchmarks use (the package ships no types). */
declare module "autocannon" {
  interface RequestSpec {
    method?: string
    path?: string
    body?: string
    headers?: Record<string, string>
    setupRequest?: (req: RequestSpec) => RequestSpec
    onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string>) => void
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    pipelining?: number
    requests?: ReadonlyArray<RequestSpec>
    /** Seconds before a request counts as a timeout. */
    timeout?: number
    /** Requests per second over all connections. */
    overallRate?: number
  }
  interface Histogram {
    average: number
    p50: number
    p99: number
    total: number
  }
  interface Result {
    requests: Histogram
    latency: Histogram
    duration: number
    non2xx: number
    errors: number
    timeouts: number
    "2xx": number
    statusCodeStats: Record<string, { count: number }>
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
