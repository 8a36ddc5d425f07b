#!/usr/bin/env node
// The `vafa` command: the CLI bundled from src/ (dist/server/cli.js), rebuilt first if src/
// changed since the last build, or run from src/ through tsx; see scripts/server-build.mjs.
import { launch } from '../scripts/server-build.mjs';

await launch('cli');
