/**
 * Every CLI command group. A module adds its commands in its own file here
 * (`export function register(program, ctx)`) and one line below.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import * as core from './core.js';
import * as festivals from './festivals.js';
import * as rewards from './rewards.js';
import * as rules from './rules.js';

export const COMMANDS: { register(program: Command, ctx: () => Promise<CliContext>): void }[] = [core, festivals, rewards, rules];
