/**
 * Environment the worker's process needs from whatever starts it (the Deployment in
 * infra/k8s/worker.yaml, the benchmark's worker child), because the C library reads it before any
 * of our code runs.
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates concurrently an arena of its own (up
 * to 8 per core), and the worker has many (Temporal's Rust core, V8's helpers, libuv's pool). Under
 * the 998-ticket burst the arenas held ~115 MB; with two the worker peaked at 376 MB PSS instead of
 * 418 at the same throughput (7.1 vs 6.8 tickets/s, docs/performance.md).
 */
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
