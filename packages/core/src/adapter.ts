// `@plexauth/core/adapter`: what a framework adapter is built from. Apps import `@plexauth/core` (or their
// framework's package) instead; nothing here is needed to use plexauth, and it may change with the adapters.
export type {
  AuthenticateOptions,
  Authenticator,
  AuthRequest,
  PlexAuthOptions,
} from './http/create-authenticator.js'
export { createAuthenticator } from './http/create-authenticator.js'
export type { Guard } from './http/create-guard.js'
export { createScopeGuard, createServerAccessGuard, createUserGuard } from './http/create-guard.js'
export type { PlexGuards } from './http/create-guards.js'
export { createGuards } from './http/create-guards.js'
export { nodeRequest, peekRequest } from './http/node-request.js'
export { AUTHENTICATOR_KEY, authenticatorOf, rememberAuthenticator } from './http/request-authenticator.js'
export { readBoundedBody } from './lib/bounded-fetch.js'
export type { LoginHandler, LoginRequest, LoginResponse } from './login/login-handler.js'
export { createLoginHandler, nodeLoginRequest } from './login/login-handler.js'
export type { PlexAuthSessionOptions } from './session/session-authenticator.js'
export { createSessionAuthenticator } from './session/session-authenticator.js'
