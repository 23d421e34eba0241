import { layer } from "../../../adapters/memory/leader-lock.js"
import { leaderLockContract } from "../../contracts/leader-lock.js"

leaderLockContract("memory", layer)
