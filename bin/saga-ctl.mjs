#!/usr/bin/env node
// saga-ctl from any folder: tsx compiles the TypeScript CLI on the fly.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/main.ts');
