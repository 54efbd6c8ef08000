// The booth's network link to the fleet broker, on the simulated booth: a TCP relay the fleet
// connection goes through, which the simulator panel can cut (every connection through it
// dropped, new ones refused at once, like an unplugged uplink) and restore. Only the network
// is simulated: the broker, the MQTT client and its reconnection are the real ones.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BrokerLink } from './panel.ts';

export class BrokerRelay {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private isCut = false;
  private port = 0;
  private readonly target: { host: string; port: number };

  /** `url`: the broker (mqtt://host:port or mqtts://host:port). */
  constructor(private readonly brokerUrl: string) {
    const url = new URL(brokerUrl);
    const port = Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883));
    this.target = { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }

  get cut(): boolean {
    return this.isCut;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** The broker URL through the relay (same scheme, path and query). */
  url(): string {
    if (!this.server) throw new Error('broker relay not started');
    const url = new URL(this.brokerUrl);
    // A broker on this machine keeps its name (its TLS certificate names it); any other is reached by address.
    url.hostname = url.hostname === 'localhost' ? 'localhost' : '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  cutLink(): void {
    this.isCut = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restoreLink(): void {
    this.isCut = false;
  }

  async stop(): Promise<void> {
    this.cutLink();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** The panel's view of the link: a relay when a broker is configured, else nothing to cut. */
export function brokerLink(relay: BrokerRelay | undefined, connected: () => boolean): BrokerLink {
  return {
    state: () => ({ configured: relay !== undefined, connected: connected(), cut: relay?.cut ?? false }),
    cut: () => relay?.cutLink(),
    restore: () => relay?.restoreLink(),
  };
}
