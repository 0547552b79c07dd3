import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGb: number;
  node: string;
  rabbitmq: string;
  os: string;
  date: string;
  loadAverage: number[];
}

/** CPU from /proc/cpuinfo, cores, RAM, node, RabbitMQ (rabbitmqctl, else the broker's own word). */
export async function machineInfo(brokerAnnounced?: string): Promise<MachineInfo> {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    cpuModel = match?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  let rabbitmq = brokerAnnounced ?? 'unknown';
  try {
    const node = process.env.BENCH_RABBITMQ_NODE;
    const { stdout } = await run('rabbitmqctl', [...(node ? ['-n', node] : []), '-q', 'version'], { timeout: 20_000 });
    rabbitmq = stdout.trim() || rabbitmq;
  } catch {
    // rabbitmqctl missing: keep what the broker announced in connection.start
  }
  let os = `${process.platform} ${process.arch}`;
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    os = match?.[1] ? `${match[1]} (${process.arch})` : os;
  } catch {
    // no os-release
  }
  return {
    cpuModel,
    cores: cpus().length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    rabbitmq,
    os,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
