import { layer } from "../../../adapters/memory/rate-limiter.js"
import { rateLimiterContract } from "../../contracts/rate-limiter.js"

rateLimiterContract("memory", layer)
