#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx so `npx nn2hls` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
