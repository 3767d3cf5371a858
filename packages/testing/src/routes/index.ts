import type { Route } from '../router.js'
import { keysRoute } from './keys.js'

/** The route table of the fake plex.tv. */
export const routes: readonly Route[] = [keysRoute]
