import { layer } from "../../../adapters/memory/event-bus.js"
import { eventBusContract } from "../../contracts/event-bus.js"

eventBusContract("memory", layer)
