// Everything of core, so that users install and import one package.
export * from '@plexauth/core'
export {
  requireAnyScope,
  requireScopes,
  requireServerAccess,
  requireServerOwner,
  requireUser,
} from './guards.js'
export { type PlexAuthOptions, type PlexAuthState, plexAuth } from './plex-auth.js'
