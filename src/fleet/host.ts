// Host-level health the booth reports in its telemetry: free disk of the data dir, SoC
// temperature (Linux thermal zone; null where there is none), load, uptime, process RSS.
import { cpuTemperature, diskSpaceMb } from '../hal/host.ts';
import { loadavg, uptime } from 'node:os';

export interface HostMetrics {
  diskFreeMb: number | null;
  diskTotalMb: number | null;
  cpuTempC: number | null;
  load1: number;
  uptimeS: number;
}

const MB = 1024 * 1024;

export function hostMetrics(dataDir: string, sysfsRoot = '/sys'): HostMetrics {
  const disk = diskSpaceMb(dataDir); // null: data dir not created yet, unknown rather than a crash
  return { diskFreeMb: disk?.freeMb ?? null, diskTotalMb: disk?.totalMb ?? null, cpuTempC: cpuTemperature(sysfsRoot), load1: Math.round((loadavg()[0] ?? 0) * 100) / 100, uptimeS: Math.round(uptime()) };
}

export function processMetrics(): { rssMb: number; uptimeS: number } {
  return { rssMb: Math.round((process.memoryUsage.rss() / MB) * 10) / 10, uptimeS: Math.round(process.uptime()) };
}
