import type { Command } from '../command.js';
import { backtestCommand } from './backtest.js';
import { demoCommand } from './demo.js';
import { featuresCommand } from './features.js';
import { monitorCommand } from './monitor.js';
import { rankCommand } from './rank.js';

export const COMMANDS: readonly Command[] = [featuresCommand, rankCommand, backtestCommand, demoCommand, monitorCommand];
