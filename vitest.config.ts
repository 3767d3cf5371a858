import { readdirSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// Vitest also hands these to Node as --conditions, which apply to require() too: listing 'import' would make
// CommonJS packages (Express 5's router → is-promise) load the ESM build of their dependencies.
const conditions = ['dev-source', 'node', 'default']

/** Issue 10's goal: 95 % of lines and branches in core, 90 % in every other package (a new one included). */
const coverageGoal = (name: string) =>
  name === 'core' ? { lines: 95, branches: 95 } : { lines: 90, branches: 90 }

// Packages not at the goal yet are held at a floor a point or so under what they measured (run-to-run
// noise), so coverage can only rise: raise a floor when tests land, delete it at the goal, never lower it.
// Measured on 2026-11-30 at 09:32 UTC (lines / branches): fastify and koa were at the goal, and since 10:35
// express (100 / 100) and client (99.1 / 94.8), since 10:40 redis (100 / 99.5), since 10:50 browser
// (100 / 100 from its Node harness, packages/browser/test/sign-in.test.ts; Chromium runs are not seen by V8),
// core (99.4 / 97.9, from 97.9 / 93.6: session/ and login/ tested) and testing (95.3 / 97.3 from its own
// tests, from 94.8 / 90.0): every package is at the goal, so no floor is left.
const COVERAGE_FLOORS: Record<string, { lines: number; branches: number }> = {}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['dev-source'] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // `pnpm test` runs with --coverage and fails below these per-package thresholds (lines, branches).
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      reporter: ['text-summary'],
      reportOnFailure: true,
      thresholds: Object.fromEntries(
        readdirSync(new URL('./packages/', import.meta.url)).map((name) => [
          `packages/${name}/src/**`,
          COVERAGE_FLOORS[name] ?? coverageGoal(name),
        ]),
      ),
    },
  },
})
