import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for webhook URLs: only http(s), and every address the host resolves to must be
 * public. Loopback, private, link-local (cloud metadata), CGNAT, unspecified, multicast and
 * reserved ranges are refused, in IPv4 and IPv6 (mapped `::ffff:a.b.c.d` forms are unwrapped,
 * IPv4-compatible `::a.b.c.d` ones are refused whole; the WHATWG URL parser already turns
 * decimal/hex/octal IPv4 into dotted form). An explicit
 * allow-list of hosts, addresses or CIDRs lets local development and tests through.
 */
export class SsrfError extends Error {
  constructor(
    readonly code: 'webhook_url_invalid' | 'webhook_url_forbidden' | 'webhook_host_unresolvable',
    message: string,
  ) {
    super(message);
    this.name = 'SsrfError';
  }
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  // ::/96 holds the unspecified address, loopback and the deprecated IPv4-compatible forms
  // (`[::127.0.0.1]` is `[::7f00:1]`), which some stacks still route to the IPv4 address.
  ['::', 96], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** `::ffff:127.0.0.1` / `::ffff:7f00:1` → `127.0.0.1`. */
function unmap(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return { address: dotted[1], family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const a = parseInt(hex[1], 16);
    const b = parseInt(hex[2], 16);
    return { address: `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`, family: 'ipv4' };
  }
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isPublicAddress(address: string): boolean {
  const { address: a, family } = unmap(address);
  return !blocked.check(a, family);
}

export class AllowList {
  private readonly hosts = new Set<string>();
  private readonly nets = new BlockList();

  constructor(entries: string[]) {
    for (const raw of entries.map((e) => e.trim().toLowerCase()).filter(Boolean)) {
      const [addr, bits] = raw.replace(/^\[|\]$/g, '').split('/');
      const family = isIP(addr);
      if (family && bits) this.nets.addSubnet(addr, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      else if (family) this.nets.addAddress(addr, family === 6 ? 'ipv6' : 'ipv4');
      else this.hosts.add(raw);
    }
  }

  allowsHost(host: string): boolean {
    return this.hosts.has(host.toLowerCase());
  }

  allowsAddress(address: string): boolean {
    const { address: a, family } = unmap(address);
    return this.nets.check(a, family) || this.nets.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;
const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

function checkAddresses(host: string, addresses: LookupAddress[], allow: AllowList): void {
  if (allow.allowsHost(host)) return;
  for (const { address } of addresses) {
    if (!isPublicAddress(address) && !allow.allowsAddress(address)) {
      throw new SsrfError('webhook_url_forbidden', `webhook host ${host} resolves to a non-public address (${address})`);
    }
  }
}

/** Validates a URL and every address of its host; returns the parsed URL. */
export async function assertSafeUrl(raw: string, allow: AllowList, resolve: Resolver = systemResolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError('webhook_url_invalid', 'webhook must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfError('webhook_url_invalid', 'webhook must use http or https');
  if (url.username || url.password) throw new SsrfError('webhook_url_invalid', 'webhook URL must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new SsrfError('webhook_host_unresolvable', `webhook host ${host} does not resolve`);
    }
  }
  checkAddresses(host, addresses, allow);
  return url;
}

/**
 * A `lookup` for http.request that applies the same check to the addresses actually connected
 * to, so a DNS answer that changes after registration (rebinding) is still refused at send time.
 */
export function guardedLookup(allow: AllowList, resolve: Resolver = systemResolver) {
  return (hostname: string, options: unknown, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    const host = hostname.replace(/^\[|\]$/g, '');
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    const addresses = isIP(host) ? Promise.resolve([{ address: host, family: isIP(host) }]) : resolve(host);
    addresses.then(
      (addrs) => {
        try {
          checkAddresses(host, addrs, allow);
        } catch (err) {
          return callback(err as Error, '', 0);
        }
        if (all) callback(null, addrs);
        else callback(null, addrs[0].address, addrs[0].family);
      },
      (err: Error) => callback(err, '', 0),
    );
  };
}
