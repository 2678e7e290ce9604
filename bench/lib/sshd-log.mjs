// Reads the test sshd's log (LogLevel VERBOSE plus the mm_audit_run_command
// debug line) and attributes lines to the connections of one run by their
// client port: other helpers use the same sshd at the same time.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export function logSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function readFrom(path, offset) {
  const size = logSize(path);
  if (size <= offset) return '';
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Counts, for the connections from the given client ports: logins
 * (`Accepted publickey`), exec sessions (`Starting session: command`), SFTP
 * subsystem sessions, and the `entering command` lines of the session's user
 * child (matched through `User child is on pid N`, which follows the login line).
 */
export function attribute(text, clientPorts) {
  const ports = new Set(clientPorts);
  const open = new Set();
  const pidToPort = new Map();
  const awaitingChild = [];
  const result = {
    logins: 0,
    execSessions: 0,
    sftpSessions: 0,
    otherSessions: 0,
    enteringCommands: 0,
    commands: [],
  };
  const portOf = (re, line) => {
    const m = re.exec(line);
    return m ? Number(m[1]) : null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    let p;
    if ((p = portOf(/^Connection from \S+ port (\d+) on /, line)) !== null) {
      if (ports.has(p)) open.add(p);
    } else if ((p = portOf(/^Accepted publickey for \S+ from \S+ port (\d+) /, line)) !== null) {
      if (ports.has(p)) {
        open.add(p);
        result.logins++;
        awaitingChild.push(p);
      }
    } else if (/^User child is on pid (\d+)/.test(line)) {
      // Logged by the same monitor right after its login line; take the oldest login still waiting.
      const pid = Number(/^User child is on pid (\d+)/.exec(line)[1]);
      const waiting = awaitingChild.shift();
      if (waiting !== undefined) pidToPort.set(pid, waiting);
    } else if (
      (p = portOf(/^Starting session: command for \S+ from \S+ port (\d+) /, line)) !== null
    ) {
      if (open.has(p)) result.execSessions++;
    } else if (
      (p = portOf(/^Starting session: subsystem '[^']*' for \S+ from \S+ port (\d+) /, line)) !==
      null
    ) {
      if (open.has(p)) result.sftpSessions++;
    } else if ((p = portOf(/^Starting session: \S+ for \S+ from \S+ port (\d+) /, line)) !== null) {
      if (open.has(p)) result.otherSessions++;
    } else if (/mm_audit_run_command entering command /.test(line)) {
      const m = /\(pid=(\d+)\): mm_audit_run_command entering command (.*)$/.exec(line);
      if (m && pidToPort.has(Number(m[1])) && open.has(pidToPort.get(Number(m[1])))) {
        result.enteringCommands++;
        result.commands.push(m[2].slice(0, 160));
      }
    } else if (
      (p = portOf(
        /^(?:Disconnected from user \S+|Connection closed by \S+|Received disconnect from) \S* ?port (\d+)/,
        line,
      )) !== null
    ) {
      if (/^Disconnected from user|^Connection closed by/.test(line)) open.delete(p);
    }
  }
  return result;
}
