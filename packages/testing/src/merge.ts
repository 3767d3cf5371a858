/** Shallow merge where an explicit `undefined` in `override` deletes the member instead of setting it. */
export function mergeDefined<T extends object>(base: T, override: object | undefined): T {
  const merged = { ...base } as Record<string, unknown>
  for (const [name, value] of Object.entries(override ?? {})) {
    if (value === undefined) delete merged[name]
    else merged[name] = value
  }
  return merged as T
}
