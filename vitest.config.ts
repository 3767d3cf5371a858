import { readdirSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// Vitest also hands these to Node as --conditions, which apply to require() too: listing 'import' would make
// CommonJS packages (Express 5's router → is-promise) load the ESM build of their dependencies.
const conditions = ['dev-source', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['dev-source'] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // `pnpm test` runs with --coverage: the gate, per package, is 95 % of lines and branches in core and
    // 90 % in every other package (a new package is gated from its first commit).
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      reporter: ['text-summary'],
      thresholds: Object.fromEntries(
        readdirSync(new URL('./packages/', import.meta.url)).map((name) => {
          const percent = name === 'core' ? 95 : 90
          return [`packages/${name}/src/**`, { lines: percent, branches: percent }]
        }),
      ),
    },
  },
})
