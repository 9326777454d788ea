import { Command } from 'commander';
import { duration } from '../../numbers.js';
import { writeLine, type Io } from '../io.js';

export function workersCommand(io: Io): Command {
  return new Command('workers')
    .description('list the `ccasp worker`s connected to a queue and the attempts each is running')
    .requiredOption('--queue <redis-url>', 'the Redis the coordinator and workers use (redis:// or rediss://)')
    .option('--json', 'one JSON object: the workers and the number of attempts waiting')
    .action(async (switches: { queue: string; json?: boolean }) => {
      // Loaded on demand: no other command pays for BullMQ and ioredis.
      const { listWorkers } = await import('../../queue/workers-list.js');
      const { withoutCredentials } = await import('../../queue/url.js');
      const { workers, waiting } = await listWorkers(switches.queue);
      if (switches.json) {
        writeLine(io.stdout, JSON.stringify({ workers, waiting }));
        return;
      }
      writeLine(io.stdout, `${workers.length} worker${workers.length === 1 ? '' : 's'} on ${withoutCredentials(switches.queue)}, ${waiting} attempt${waiting === 1 ? '' : 's'} waiting`);
      const now = Date.now();
      for (const worker of workers) {
        const doing = worker.running.map((r) => `${r.taskId} attempt ${r.attempt} (plan ${r.planId}${r.since ? `, ${duration(now - r.since)}` : ''})`);
        writeLine(io.stdout, `  ${worker.name}: ${doing.length > 0 ? doing.join('; ') : 'idle'}`);
      }
    });
}
