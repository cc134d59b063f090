#!/usr/bin/env node
// nl-ipvsadm: ipvsadm's command line and output over netlink (lib/cli/ipvsadm).
// Runs the compiled CLI from dist/ (npm run build).
import { basename } from 'node:path';
import { main } from '../dist/cli/ipvsadm/main.js';

// `nl-ipvsadm -Ln | head` closes the pipe early: not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const program = basename(process.argv[1] ?? 'nl-ipvsadm').replace(/\.js$/, '');
process.exitCode = await main([program, ...process.argv.slice(2)]);
