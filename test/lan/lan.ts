/**
 * A LAN built from Linux network namespaces, for tests that need real multicast between real processes
 * without any packet reaching the machine's own interfaces.
 *
 *   bridge namespace `<prefix>-br`: bridge br0 with ports p1..pN (nftables `bridge lanfault` table for faults)
 *   host namespaces  `<prefix>-h<i>`: lo + eth0 (veth to port p<i>), 10.231.0.<10+i>/24, fd31::<10+i>/64 and
 *                    link-local fe80::a:<i>/64 (fixed, no duplicate address detection), route 224.0.0.0/4 dev eth0
 *   a second segment (bridge br1, 10.231.1.0/24, fd32::/64) for hosts added with `addSegmentHost()`
 *
 * Processes run with `ip netns exec <host> unshare --uts` and the host name `h<i>`. Everything is torn down by
 * `destroy()`, on process exit, on SIGINT/SIGTERM, and leftovers of dead runs are removed by prefix at creation.
 * Needs root, `ip` (iproute2), `nft` (nftables) and `unshare` (util-linux).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

const PREFIX_ROOT = 'wsml';
const SUBNET = '10.231.0';
const SUBNET6 = 'fd31:';
const OTHER_SUBNET = '10.231.1';
const OTHER_SUBNET6 = 'fd32:';

export type LanCheck = { ok: true } | { ok: false; reason: string };

function run(command: string, args: string[], input?: string): void {
  execFileSync(command, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

function tryRun(command: string, args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore' });
}

/** Whether this machine can build a LAN: root, namespaces, nftables, unshare. */
export function checkLanSupport(): LanCheck {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  for (const [tool, args] of [['ip', ['-V']], ['nft', ['--version']], ['unshare', ['--version']]] as const) {
    const probe = spawnSync(tool, [...args], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) return { ok: false, reason: `${tool} is not installed` };
  }
  const name = `${PREFIX_ROOT}-probe-${process.pid}`;
  const created = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (created.status !== 0) return { ok: false, reason: `ip netns add failed: ${created.stderr.trim()}` };
  tryRun('ip', ['netns', 'del', name]);
  return { ok: true };
}

function listNamespaces(): string[] {
  const listing = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (listing.stdout ?? '').split('\n').map((line) => line.split(' ')[0]!).filter(Boolean);
}

function killNamespace(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tryRun('ip', ['netns', 'del', name]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces left by LAN runs whose process is gone (e.g. after kill -9 of a test). */
export function removeLeftovers(): void {
  for (const name of listNamespaces()) {
    const match = new RegExp(`^${PREFIX_ROOT}-(\\d+)-`).exec(name);
    if (match && !isAlive(Number(match[1]))) killNamespace(name);
  }
}

/** A process on a LAN host whose stdout is JSON lines (each gets `at`, its arrival time in ms). */
export class LanProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly host: number,
    readonly child: ChildProcess,
  ) {
    child.stdin?.on('error', () => {}); // EPIPE from a host that died between the check and the write
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { event: 'text', line };
      }
      // `at`: when the line arrived here (wall clock), to measure across processes.
      this.lines.push({ ...parsed, at: Date.now() });
      for (const wake of this.waiters) wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      for (const wake of this.waiters) wake();
      resolve(code);
    }));
  }

  /** Resolves with the first line matching `predicate`, or rejects after `timeout` ms. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeout: number, what = 'a line'): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.find(predicate);
        if (hit) {
          done();
          resolve(hit);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`host h${this.host} exited before ${what}; stderr: ${this.stderr.join('').slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`host h${this.host}: no ${what} within ${timeout} ms; last lines: ${JSON.stringify(this.lines.slice(-5))}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Writes a command line; a host that already exited is skipped (its exit is reported by waitFor). */
  write(line: string): void {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || this.child.exitCode !== null || this.child.signalCode !== null) return;
    stdin.write(`${line}\n`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export class Lan {
  readonly prefix: string;
  readonly hostCount: number;
  private readonly processes = new Set<LanProcess>();
  private lossPercent = 0;
  private partitionGroups: number[][] = [];
  private destroyed = false;
  private otherSegment = false;
  private readonly onExit = () => this.destroySync();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.destroySync();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };

  private constructor(hostCount: number) {
    this.hostCount = hostCount;
    this.prefix = `${PREFIX_ROOT}-${process.pid}-${randomBytes(2).toString('hex')}`;
  }

  /** Builds a LAN of `hostCount` hosts on one bridge. */
  static create(hostCount: number): Lan {
    removeLeftovers();
    const lan = new Lan(hostCount);
    process.once('exit', lan.onExit);
    process.once('SIGINT', lan.onSignal);
    process.once('SIGTERM', lan.onSignal);
    try {
      lan.build();
    } catch (error) {
      lan.destroySync();
      throw error;
    }
    return lan;
  }

  get bridge(): string {
    return `${this.prefix}-br`;
  }

  namespace(host: number): string {
    return `${this.prefix}-h${host}`;
  }

  address(host: number): string {
    return `${SUBNET}.${10 + host}`;
  }

  /** The host's IPv6 ULA on the main segment. */
  address6(host: number): string {
    return `${SUBNET6}:${10 + host}`;
  }

  /** The host's IPv6 link-local address on the main segment (on its `eth0`, or `eth1` for a segment host). */
  linkLocal(host: number): string {
    return `fe80::a:${host}`;
  }

  /**
   * Plugs `device` of `ns` into switch port `port` of bridge `bridge` with the given addresses: link-local
   * address fixed (addrgenmode none) and no duplicate address detection, so every address is usable at once.
   */
  private plug(ns: string, device: string, bridge: string, port: string, addresses: string[], multicastRoute: boolean): void {
    // Written through /proc (per namespace) rather than with sysctl(8), which a minimal CI image may lack.
    const noDad = 'echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad';
    run('ip', ['netns', 'exec', ns, 'sh', '-c', noDad]);
    run('ip', ['link', 'add', 'name', device, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.bridge]);
    run('ip', ['-n', this.bridge, 'link', 'set', port, 'master', bridge]);
    run('ip', ['-n', this.bridge, 'link', 'set', port, 'up']);
    run('ip', ['-n', ns, 'link', 'set', device, 'addrgenmode', 'none']);
    for (const address of addresses) run('ip', ['-n', ns, 'addr', 'add', address, 'dev', device, ...(address.includes(':') ? ['nodad'] : [])]);
    run('ip', ['-n', ns, 'link', 'set', device, 'up']);
    if (multicastRoute) run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', device]);
  }

  private mainAddresses(host: number): string[] {
    return [`${this.address(host)}/24`, `${this.address6(host)}/64`, `${this.linkLocal(host)}/64`];
  }

  /** Removes the host's IPv4 address and multicast route: an IPv6-only host (ULA and link-local). */
  makeIpv6Only(host: number): void {
    run('ip', ['-n', this.namespace(host), 'route', 'del', '224.0.0.0/4', 'dev', 'eth0']);
    run('ip', ['-n', this.namespace(host), 'addr', 'del', `${this.address(host)}/24`, 'dev', 'eth0']);
  }

  /** Removes the host's IPv4 address, multicast route and ULA: only its IPv6 link-local address is left. */
  makeLinkLocalOnly(host: number): void {
    this.makeIpv6Only(host);
    run('ip', ['-n', this.namespace(host), 'addr', 'del', `${this.address6(host)}/64`, 'dev', 'eth0']);
  }

  /**
   * A host whose only LAN interface (eth0) is on a second segment (bridge br1, port q<host>):
   * 10.231.1.<10+host>/24, fd32::<10+host>/64, fe80::b:<host>/64. Nothing on the main segment reaches it.
   */
  addSegmentHost(host: number): void {
    const ns = this.namespace(host);
    if (!this.otherSegment) {
      run('ip', ['-n', this.bridge, 'link', 'add', 'br1', 'type', 'bridge', 'mcast_snooping', '0']);
      run('ip', ['-n', this.bridge, 'link', 'set', 'br1', 'up']);
      this.otherSegment = true;
    }
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const addresses = [`${OTHER_SUBNET}.${10 + host}/24`, `${OTHER_SUBNET6}:${10 + host}/64`, `fe80::b:${host}/64`];
    this.plug(ns, 'eth0', 'br1', `q${host}`, addresses, true);
  }

  /** Gives a host a new interface `eth1` on the main segment (port p<host>), with its main addresses. */
  attachToMain(host: number): void {
    this.plug(this.namespace(host), 'eth1', 'br0', `p${host}`, this.mainAddresses(host), false);
  }

  /** Runs `ip -n <host ns> args...`. */
  ip(host: number, args: string[]): void {
    run('ip', ['-n', this.namespace(host), ...args]);
  }

  private build(): void {
    const bridge = this.bridge;
    run('ip', ['netns', 'add', bridge]);
    run('ip', ['-n', bridge, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    run('ip', ['-n', bridge, 'link', 'set', 'br0', 'up']);
    for (let host = 1; host <= this.hostCount; host++) {
      const ns = this.namespace(host);
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      this.plug(ns, 'eth0', 'br0', `p${host}`, this.mainAddresses(host), true);
    }
    this.applyFaults();
  }

  /** Starts `command` on host `host` (1-based) with host name `h<host>`; stdout is read as JSON lines. */
  spawn(host: number, command: string[], env: NodeJS.ProcessEnv = process.env): LanProcess {
    return this.spawnIn(this.namespace(host), host, command, env);
  }

  /**
   * A namespace with nothing but loopback (no network at all), host number 0, host name `h0`.
   * For checks of what a node does where mDNS cannot run.
   */
  addIsolatedHost(): number {
    const ns = this.namespace(0);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return 0;
  }

  private spawnIn(ns: string, host: number, command: string[], env: NodeJS.ProcessEnv): LanProcess {
    const script = `hostname h${host} && exec "$@"`;
    const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'sh', '-c', script, 'sh', ...command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    const lanProcess = new LanProcess(host, child);
    this.processes.add(lanProcess);
    void lanProcess.exited.then(() => this.processes.delete(lanProcess));
    return lanProcess;
  }

  /** Runs a command on a host and returns its stdout (for checks such as `ip addr`). */
  exec(host: number, command: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.namespace(host), ...command], { encoding: 'utf8' });
  }

  /** Switch port of `host` down (its cable pulled) or up again. */
  setLink(host: number, up: boolean): void {
    run('ip', ['-n', this.bridge, 'link', 'set', `p${host}`, up ? 'up' : 'down']);
  }

  /** Drops `percent` % of the frames the switch forwards, at random (nftables `numgen random`). */
  setLoss(percent: number): void {
    this.lossPercent = percent;
    this.applyFaults();
  }

  /** Splits the LAN: frames between different groups are dropped at the switch. */
  partition(...groups: number[][]): void {
    this.partitionGroups = groups;
    this.applyFaults();
  }

  heal(): void {
    this.partitionGroups = [];
    this.applyFaults();
  }

  private applyFaults(): void {
    const ports = (hosts: number[]) => `{ ${hosts.map((host) => `"p${host}"`).join(', ')} }`;
    const rules: string[] = [];
    if (this.lossPercent > 0) rules.push(`numgen random mod 100 < ${this.lossPercent} drop`);
    for (const from of this.partitionGroups) {
      for (const to of this.partitionGroups) {
        if (from !== to) rules.push(`iifname ${ports(from)} oifname ${ports(to)} drop`);
      }
    }
    const ruleset = [
      'table bridge lanfault {',
      '  chain forward {',
      '    type filter hook forward priority 0; policy accept;',
      ...rules.map((rule) => `    ${rule}`),
      '  }',
      '}',
    ].join('\n');
    tryRun('ip', ['netns', 'exec', this.bridge, 'nft', 'delete', 'table', 'bridge', 'lanfault']);
    run('ip', ['netns', 'exec', this.bridge, 'nft', '-f', '-'], ruleset);
  }

  /** Stops every process (SIGKILL) and deletes every namespace of this LAN. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const lanProcess of this.processes) lanProcess.signal('SIGKILL');
    for (const name of listNamespaces()) if (name.startsWith(`${this.prefix}-`)) killNamespace(name);
  }

  /** Stops the processes gracefully first (SIGINT, up to `grace` ms), then tears everything down. */
  async destroy(grace = 2000): Promise<void> {
    const running = [...this.processes];
    for (const lanProcess of running) lanProcess.signal('SIGINT');
    await Promise.race([Promise.all(running.map((p) => p.exited)), new Promise((resolve) => setTimeout(resolve, grace))]);
    this.destroySync();
  }
}
