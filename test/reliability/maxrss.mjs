// Preloaded into `flm` by the bounded-read tests: on exit, the peak resident
// set size (bytes) and the CPU time used (seconds) go to the file named by
// FLM_MAXRSS_FILE, as JSON.
import { writeFileSync } from 'node:fs';

const file = process.env.FLM_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRss: u.maxRSS * 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
  });
}
