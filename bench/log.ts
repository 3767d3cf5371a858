/** Progress goes to stderr so that stdout holds only the result tables (`pnpm -s bench --markdown > x.md`). */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}
