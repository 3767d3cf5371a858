import { plexAuth } from './plex-auth.js'

// Everything of core, so that users install and import one package.
export * from '@plexauth/core'
export {
  type PlexGuard,
  requireAnyScope,
  requireScopes,
  requireServerAccess,
  requireServerOwner,
  requireUser,
} from './guards.js'
export { logSerializers } from './log-serializers.js'
export { type PlexAuthOptions, plexAuth } from './plex-auth.js'
export default plexAuth
