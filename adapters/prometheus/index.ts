export * as Metrics from "./metrics.js"
