#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the TypeScript sources directly (through tsx's loader) so that a fresh checkout needs no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
