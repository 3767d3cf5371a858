import type { Route } from '../router.js'
import { legacyAccountJsonRoute, legacyAccountRoute } from './account.js'
import { controlRoutes } from './control.js'
import { homeUsersRoute } from './home-users.js'
import { jwkRoute } from './jwk.js'
import { keysRoute } from './keys.js'
import { nonceRoute } from './nonce.js'
import { pinRoute } from './pin.js'
import { pinLinkRoute } from './pin-link.js'
import { pingRoute } from './ping.js'
import { pinsRoute } from './pins.js'
import { resourcesRoute } from './resources.js'
import { securityTokenRoute } from './security-token.js'
import { signInPageRoute } from './sign-in-page.js'
import { tokenRoute } from './token.js'
import { userRoute } from './user.js'
import { usersRoute } from './users.js'

/** The route table of the fake plex.tv (and of its fake media servers). */
export const routes: readonly Route[] = [
  keysRoute,
  pinsRoute,
  pinLinkRoute,
  pinRoute,
  nonceRoute,
  jwkRoute,
  tokenRoute,
  userRoute,
  pingRoute,
  resourcesRoute,
  usersRoute,
  homeUsersRoute,
  legacyAccountRoute,
  legacyAccountJsonRoute,
  securityTokenRoute,
  signInPageRoute,
  ...controlRoutes,
]
