import type { Command } from '../command.js';
import { featuresCommand } from './features.js';
import { rankCommand } from './rank.js';

export const COMMANDS: readonly Command[] = [featuresCommand, rankCommand];
