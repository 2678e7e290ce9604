// Watches a running process through /proc: peak memory (VmHWM) and the TCP
// connections it opens to a given port (so its sshd log lines can be told
// apart from those of other clients of the same sshd).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';

function readTcpTable() {
  const rows = new Map();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [, localPort] = f[1].split(':');
      const [, remotePort] = f[2].split(':');
      rows.set(f[9], { localPort: parseInt(localPort, 16), remotePort: parseInt(remotePort, 16) });
    }
  }
  return rows;
}

export class ProcessMonitor {
  /**
   * @param pid process to watch
   * @param remotePort TCP connections to this port are recorded (local ports, in order)
   * @param intervalMs poll interval
   * @param followChild watch the first child of `pid` instead (a wrapper's)
   */
  constructor(pid, remotePort, intervalMs = 10, followChild = false) {
    this.pid = pid;
    /** watching a wrapper (e.g. /usr/bin/time): switch to its first child once it exists */
    this.followChild = followChild;
    this.remotePort = remotePort;
    this.hwmKiB = null;
    this.rssKiB = null;
    this.samples = 0;
    /** local ports of connections to remotePort, in the order first seen */
    this.localPorts = [];
    this.seenInodes = new Set();
    /** socket inode -> lookups left (unix sockets never show up in the TCP table) */
    this.pending = new Map();
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.poll();
  }

  poll() {
    if (this.followChild) {
      try {
        const children = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim();
        if (!children) return;
        this.pid = Number(children.split(/\s+/)[0]);
        this.followChild = false;
      } catch {
        return;
      }
    }
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (hwm) this.hwmKiB = Number(hwm[1]);
      if (rss) this.rssKiB = Number(rss[1]);
      this.samples++;
    } catch {
      return; // gone (or a zombie without status fields)
    }
    let fds;
    try {
      fds = readdirSync(`/proc/${this.pid}/fd`);
    } catch {
      return;
    }
    for (const fd of fds) {
      let link;
      try {
        link = readlinkSync(`/proc/${this.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && !this.seenInodes.has(m[1])) {
        this.seenInodes.add(m[1]);
        this.pending.set(m[1], 3);
      }
    }
    if (this.pending.size > 0) {
      const table = readTcpTable();
      for (const [inode, left] of [...this.pending]) {
        const row = table.get(inode);
        if (row && row.remotePort === this.remotePort) this.localPorts.push(row.localPort);
        if (row || left <= 1) this.pending.delete(inode);
        else this.pending.set(inode, left - 1); // not in the table yet (or a unix socket)
      }
    }
  }

  stop() {
    clearInterval(this.timer);
  }
}
