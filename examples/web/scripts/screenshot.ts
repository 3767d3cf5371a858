// Takes docs/signed-in.png for the README: the app signed in as "friend", one title requested.
//   npx tsx --conditions=dev-source examples/web/scripts/screenshot.ts
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { startWebDemo } from '../src/start.js'

const demo = await startWebDemo({ env: {}, login: { pollInterval: 0.25 } })
const browser = await chromium.launch({
  executablePath: execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim(),
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
})
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } })
  await page.goto(demo.url)
  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    page.getByRole('button', { name: 'Sign in with Plex' }).click(),
  ])
  await popup.getByLabel('Sign in as').selectOption({ label: 'friend (friend@example.com)' })
  await popup.getByRole('button', { name: 'Allow' }).click()
  await page.getByText('Signed in as friend').waitFor()
  await page.getByRole('button', { name: 'Request Arrival' }).click()
  await page.getByText('Arrival, requested by friend').waitFor()
  await page.screenshot({ path: join(import.meta.dirname, '..', 'docs', 'signed-in.png') })
} finally {
  await browser.close()
  await demo.close()
}
