// Host-level health the booth reports in its telemetry: free disk of the data dir, SoC
// temperature (Linux thermal zone; null where there is none), load, uptime, process RSS.
import { readFileSync, statfsSync } from 'node:fs';
import { loadavg, uptime } from 'node:os';

export interface HostMetrics {
  diskFreeMb: number | null;
  diskTotalMb: number | null;
  cpuTempC: number | null;
  load1: number;
  uptimeS: number;
}

const MB = 1024 * 1024;

export function cpuTemperature(sysfsRoot = '/sys'): number | null {
  try {
    const milli = Number(readFileSync(`${sysfsRoot}/class/thermal/thermal_zone0/temp`, 'utf8').trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}

export function hostMetrics(dataDir: string, sysfsRoot = '/sys'): HostMetrics {
  let diskFreeMb: number | null = null;
  let diskTotalMb: number | null = null;
  try {
    const fs = statfsSync(dataDir);
    diskFreeMb = Math.round((fs.bavail * fs.bsize) / MB);
    diskTotalMb = Math.round((fs.blocks * fs.bsize) / MB);
  } catch {
    // data dir not created yet: unknown rather than a crash
  }
  return { diskFreeMb, diskTotalMb, cpuTempC: cpuTemperature(sysfsRoot), load1: Math.round((loadavg()[0] ?? 0) * 100) / 100, uptimeS: Math.round(uptime()) };
}

export function processMetrics(): { rssMb: number; uptimeS: number } {
  return { rssMb: Math.round((process.memoryUsage.rss() / MB) * 10) / 10, uptimeS: Math.round(process.uptime()) };
}
