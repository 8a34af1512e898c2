// Replaced by the stack bootstrap (infra) — see infra/stack.ts.
export default async function globalSetup(): Promise<void> {}
