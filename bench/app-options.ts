import type { PlexVerifier } from '@plexauth/core'
import type { FakePlex } from '@plexauth/testing'

/**
 * What protects the benchmark app: nothing, a middleware that does nothing (`empty`: what one more step
 * costs the framework, the floor under any auth middleware), plexauth (a bearer token), plexauth with its session cookie
 * (`session`, requests carry the cookie `plexLogin` set), or the framework's most used JWT verifier (its
 * `peer`: express-oauth2-jwt-bearer on Express, @fastify/jwt on Fastify, a jose `jwtVerify` middleware on Koa).
 */
export type AuthMode = 'none' | 'empty' | 'plexauth' | 'session' | 'peer'

/**
 * What the apps take of the fake plex.tv: its JWKS endpoint (every verifier's key source) and which of its
 * keys signs (the peer that takes a key rather than a URL). Plain data, so that an app in a process of its
 * own can be given it.
 */
export type AppKeys = Pick<FakePlex, 'jwksUrl' | 'keys'> & { signingKey: Pick<FakePlex['signingKey'], 'kid'> }

export interface AppOptions {
  auth: AuthMode
  /** Key source of every verifier: the fake's JWKS endpoint. */
  plex: AppKeys
  /** A verifier to share (the cold start reads its stats); default a fresh one per app. */
  verifier?: PlexVerifier
  backlog?: number
}

/** The one route of every benchmark app. */
export const ROUTE = '/hello'
