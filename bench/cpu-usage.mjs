// Loaded into the ccasp process under test with `node --import`: when it exits, writes the CPU time
// the process itself used (user + system, all its threads, in ms) to $CCASP_BENCH_CPU_FILE. GNU time
// gives the total with the agents it started; the difference is what the agents used.
import { writeFileSync } from 'node:fs';

const file = process.env.CCASP_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const { userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(file, String((userCPUTime + systemCPUTime) / 1000));
  });
}
