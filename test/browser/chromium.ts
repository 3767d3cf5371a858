// A real headless Chromium for the browser tests: Debian's `chromium` package (.ci/run installs it), driven
// by playwright-core, which never downloads a browser of its own. One browser per test file, a fresh
// context (cookies, storage) per test; a failed test leaves a screenshot of each open page in test-results/.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll } from 'vitest'

export const RESULTS_DIR = join(import.meta.dirname, '..', '..', 'test-results')

/** The Chromium on PATH; a clear error (with the install command) when there is none. */
export function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim()
  } catch {
    throw new Error('Chromium not found on PATH: apt-get update && apt-get install -y chromium')
  }
}

export interface ChromiumHarness {
  /** A new browser context, closed after the test (after its pages were captured, when the test failed). */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>
}

function fileName(name: string): string {
  return name
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120)
}

/**
 * Registers the hooks of one test file: Chromium launched once before the file, closed after it.
 * The popup blocker stays on (playwright turns it off by default), as in the browsers users have.
 */
export function useChromium(): ChromiumHarness {
  let browser: Browser | undefined
  let contexts: BrowserContext[] = []
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      // Root can't use Chromium's sandbox (CI runs as root).
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
      ignoreDefaultArgs: ['--disable-popup-blocking'],
    })
  }, 60_000)
  afterEach(async (context) => {
    const open = contexts
    contexts = []
    if (context.task.result?.state === 'fail') {
      mkdirSync(RESULTS_DIR, { recursive: true })
      const base = fileName(`${context.task.file.name.split('/').pop()}-${context.task.name}`)
      const pages = open.flatMap((c) => c.pages())
      for (const [index, page] of pages.entries()) {
        const path = join(RESULTS_DIR, `${base}${pages.length > 1 ? `-${index + 1}` : ''}.png`)
        await page.screenshot({ path, timeout: 5_000 }).then(
          () => console.error(`screenshot of ${page.url()}: ${path}`),
          () => undefined,
        )
      }
    }
    await Promise.all(open.map((c) => c.close()))
  })
  afterAll(async () => {
    await browser?.close()
  })
  return {
    async newContext(options) {
      if (browser === undefined) throw new Error('useChromium: the browser is not launched yet')
      const context = await browser.newContext(options)
      contexts.push(context)
      return context
    },
  }
}
