import * as Prometheus from "../../../adapters/prometheus/metrics.js"
import { metricsContract } from "../../contracts/metrics.js"

metricsContract("prom-client", Prometheus.layer({ processMetrics: false }))
metricsContract("prom-client with process metrics", Prometheus.layer())
