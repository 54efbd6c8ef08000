#!/usr/bin/env node
// Entry point of the `cabine` command: the sources are TypeScript, run through tsx's
// loader so the booth needs no build step (esbuild transforms each module once).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv);
