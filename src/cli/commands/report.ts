import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { prepareOutputFile } from '../output.js';
import { writeStaticReport } from '../../report/static-report.js';

/** `coinrx report <backtest-out-dir> [--out file.html]`: the dashboard of a finished backtest as one offline HTML file. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'one self-contained HTML report (charts, trades, statechart) of a backtest output folder',
  examples: ['coinrx report out/demo', 'coinrx report out/backtest --out /tmp/run.html'],
  flags: {
    out: { type: 'string', valueName: 'file.html', description: 'where to write the report (default: <dir>/report.html)' },
  },
  async run(args, io) {
    const [dir, ...extra] = args.positionals;
    if (dir === undefined) throw new UsageError('give the backtest output folder, e.g. coinrx report out/demo');
    if (extra.length > 0) throw new UsageError(`one folder only, got also ${extra.join(' ')}`);
    try {
      // A folder given for the file is named before the report is built (was an EISDIR).
      prepareOutputFile(args.strings.get('out'));
      const { path, bytes } = await writeStaticReport(dir, args.strings.get('out'));
      io.stdout.write(`report: ${path} (${Math.round(bytes / 1024)} KiB, opens offline)\n`);
      return 0;
    } catch (error) {
      io.stderr.write(`coinrx report: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
