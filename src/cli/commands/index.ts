import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { backtestCommand } from './backtest.js';
import { dataCommand } from './data.js';
import { demoCommand } from './demo.js';
import { featuresCommand } from './features.js';
import { liveCommand } from './live.js';
import { monitorCommand } from './monitor.js';
import { paperCommand } from './paper.js';
import { rankCommand } from './rank.js';
import { rankerCommand } from './ranker.js';
import { reportCommand } from './report.js';
import { statusCommand } from './status.js';

export const COMMANDS: readonly Command[] = [paperCommand, liveCommand, demoCommand, backtestCommand, featuresCommand, rankCommand, statusCommand, monitorCommand, reportCommand, rankerCommand, agentCommand, dataCommand];
