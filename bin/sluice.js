#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/cli.js';
main(process.argv.slice(2));
