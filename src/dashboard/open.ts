import { UsageError } from '../errors.js';
import type { PlanDocument } from '../plan/document.js';
import { RunSource } from './run-source.js';
import { startDashboard, type DashboardServer } from './server.js';

/**
 * The dashboard of the plan in `doc`, following what is on disk under `root`: for `ccasp dashboard`
 * and for `ccasp run --dashboard` alike. `planName` is the plan's path as the page shows it; `port.flag`
 * names the option that gave the port, for the message when it cannot be had.
 */
export async function openDashboard(doc: PlanDocument, root: string, planName: string, port: { readonly port: number; readonly flag: string }): Promise<DashboardServer> {
  const source = new RunSource(doc, root, planName);
  await source.start();
  try {
    const server = await startDashboard({ source, root, port: port.port });
    return {
      ...server,
      close: async () => {
        // One last look, so that an open page is left showing how the run ended.
        await source.refresh().catch(() => undefined);
        source.stop();
        await server.close();
      },
    };
  } catch (error) {
    source.stop();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`${port.flag} ${port.port}: the port is in use; give another, or 0 for any free port`);
    if (code === 'EACCES') throw new UsageError(`${port.flag} ${port.port}: not allowed to listen on it; give one above 1023, or 0 for any free port`);
    throw error;
  }
}
