/**
 * V8 options the server runs with: bin/insight.js's first line and package.json's start script pass
 * them (a test keeps the three in step; the benchmarks start their servers with them too). A young
 * generation of up to 2 × 32 MiB instead of 2 × 16 MiB: a page submit or an API call allocates many
 * short-lived objects, and with room for more of them between scavenges the same work takes fewer,
 * no longer scavenges (bench/respondent-submit: a tenth less main-thread CPU per submit). It costs at
 * most 32 MiB more memory, and only under that allocation rate.
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=32'];
