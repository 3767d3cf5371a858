// The page's script: sign-in with @plexauth/browser; the app's own fetch calls carry the session cookie
// by themselves (same origin), with nothing from the package.
import {
  getSession,
  type PlexBrowserIdentity,
  PlexSignInError,
  signInWithPlex,
  signOut,
} from '@plexauth/browser'

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const signedOut = element('signed-out')
const signedIn = element('signed-in')
const who = element('who')
const message = element('message')
const signInButton = element<HTMLButtonElement>('sign-in')
const cancelButton = element<HTMLButtonElement>('cancel')
const signOutButton = element<HTMLButtonElement>('sign-out')
const library = element<HTMLUListElement>('library')
const requestList = element<HTMLUListElement>('requests')

const NO_ACCESS =
  'This Plex account has no access to this Plex server, so it may not use this app. ' +
  "Ask the server's owner to share the server with you, then sign in again."

/** What to tell the user, from a PlexSignInError (code and reason) or a redirect's `plexauth_error`. */
function explain(code: string, reason?: string): string {
  if (reason === 'no_server_access') return NO_ACCESS
  if (reason === 'not_owner') return 'Only the owner of this Plex server may use this app.'
  switch (code) {
    case 'ACCESS_DENIED':
      return reason === 'refused' ? 'This app refused the sign-in.' : NO_ACCESS
    case 'PIN_EXPIRED':
      return 'The sign-in was declined on Plex, or took too long. Try again.'
    case 'POPUP_BLOCKED':
      return 'The Plex window was blocked. Allow popups for this site, then try again.'
    case 'CANCELLED':
      return ''
    default:
      return 'Signing in did not work. Try again in a moment.'
  }
}

function say(text: string): void {
  message.textContent = text
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init)
  if (response.status === 401) {
    showSignedOut()
    throw new Error('signed out')
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return (await response.json()) as T
}

function item(text: string, action?: HTMLButtonElement): HTMLLIElement {
  const li = document.createElement('li')
  const label = document.createElement('span')
  label.textContent = text
  li.append(label)
  if (action !== undefined) li.append(action)
  return li
}

function renderRequests(requests: { title: string; by: string }[]): void {
  requestList.replaceChildren(
    ...(requests.length === 0
      ? [item('Nothing requested yet.')]
      : requests.map((r) => item(`${r.title}, requested by ${r.by}`))),
  )
}

async function load(): Promise<void> {
  const [{ items }, { requests }] = await Promise.all([
    api<{ items: { title: string; year: number }[] }>('/api/library'),
    api<{ requests: { title: string; by: string }[] }>('/api/requests'),
  ])
  library.replaceChildren(
    ...items.map((movie) => {
      const button = document.createElement('button')
      button.type = 'button'
      button.textContent = 'Request'
      button.setAttribute('aria-label', `Request ${movie.title}`)
      button.onclick = async () => {
        const answer = await api<{ requests: { title: string; by: string }[] }>('/api/requests', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ title: movie.title }),
        })
        renderRequests(answer.requests)
      }
      return item(`${movie.title} (${movie.year})`, button)
    }),
  )
  renderRequests(requests)
}

function showSignedIn(identity: PlexBrowserIdentity): void {
  const { user } = identity
  who.textContent = `Signed in as ${user.username || user.friendlyName || `user ${user.id}`}`
  signedOut.hidden = true
  signedIn.hidden = false
  signOutButton.hidden = false
  load().catch(() => say('The library could not be loaded.'))
}

function showSignedOut(): void {
  who.textContent = ''
  signedIn.hidden = true
  signedOut.hidden = false
  signOutButton.hidden = true
}

let controller: AbortController | undefined

signInButton.addEventListener('click', () => {
  say('')
  controller = new AbortController()
  signInButton.disabled = true
  cancelButton.hidden = false
  // Called in the click, before anything is awaited: the popup opens now, or the page redirects.
  signInWithPlex({ signal: controller.signal })
    .then(showSignedIn, (err: unknown) => {
      say(err instanceof PlexSignInError ? explain(err.code, err.reason) : explain('NETWORK'))
    })
    .finally(() => {
      signInButton.disabled = false
      cancelButton.hidden = true
    })
})
cancelButton.addEventListener('click', () => controller?.abort())
signOutButton.addEventListener('click', () => {
  signOut().then(showSignedOut, () => say('Signing out did not work. Try again.'))
})

// Back from the redirect flow with a refusal: say why, and take the code out of the address bar.
const url = new URL(location.href)
const error = url.searchParams.get('plexauth_error')
if (error !== null) {
  say(explain(error))
  url.searchParams.delete('plexauth_error')
  history.replaceState(null, '', url)
}
getSession().then(
  (identity) => (identity === null ? showSignedOut() : showSignedIn(identity)),
  () => {
    showSignedOut()
    say('The server could not be reached.')
  },
)
