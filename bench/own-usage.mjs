// Loaded into the ccasp process under test with `node --import`: when it exits, writes what the
// process itself used to $CCASP_BENCH_USAGE_FILE as JSON: CPU time (user + system, all its threads,
// in ms; the agents it started are not counted) and peak RSS (KiB).
import { writeFileSync } from 'node:fs';

const file = process.env.CCASP_BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ cpuMs: (userCPUTime + systemCPUTime) / 1000, maxRssKb: maxRSS }));
  });
}
