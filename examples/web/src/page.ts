// The app's one page. Everything it shows is filled in by client/main.ts; the server name is escaped.
import { createHash } from 'node:crypto'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1f1f1f; background: #f5f5f5; margin: 0; }
header { background: #1f1f1f; color: #fff; padding: 0.8rem 1.5rem; display: flex; align-items: center; gap: 1rem; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
main { max-width: 40rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px; }
button { font: inherit; padding: 0.45rem 1.2rem; border-radius: 4px; border: 1px solid #888; background: #fff; cursor: pointer; }
button.primary { background: #e5a00d; border-color: #c98b00; font-weight: 600; }
ul { padding-left: 0; list-style: none; }
li { display: flex; justify-content: space-between; align-items: center; padding: 0.4rem 0; border-bottom: 1px solid #eee; }
#message { padding: 0.8rem 1rem; border-radius: 4px; background: #fdecea; color: #8a1c12; }
#message:empty { display: none; }
[hidden] { display: none !important; }
`

/** Scripts only from this origin, no inline script: what a real app should send too. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // The page's own <style> only, by its hash: no 'unsafe-inline', so injected markup can't restyle the page.
  `style-src 'self' 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export const PAGE = (serverName: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Requests for ${escapeHtml(serverName)}</title>
  <style>${STYLE}</style>
  <script type="module" src="/app.js"></script>
</head>
<body>
  <header>
    <h1>Requests for ${escapeHtml(serverName)}</h1>
    <span id="who" role="status"></span>
    <button type="button" id="sign-out" hidden>Sign out</button>
  </header>
  <main>
    <p id="message" role="alert"></p>
    <section id="signed-out" hidden>
      <p>Sign in with the Plex account that has access to ${escapeHtml(serverName)}.</p>
      <button type="button" id="sign-in" class="primary">Sign in with Plex</button>
      <button type="button" id="cancel" hidden>Cancel</button>
    </section>
    <section id="signed-in" hidden>
      <h2>Library</h2>
      <ul id="library"></ul>
      <h2>Requests</h2>
      <ul id="requests"></ul>
    </section>
  </main>
</body>
</html>
`
