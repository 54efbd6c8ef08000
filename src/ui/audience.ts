// Who may see a customer's personal data on the customer screen's server. The page shows the
// customer's photo, signature, code (and its QR code) and a refund claim code; those go only
// to the screen of the session they belong to:
// - the WebSocket client that pressed "start" owns the session it started;
// - a session started by the curtain (nobody pressed start) is owned by the clients that were
//   connected when it started (the kiosk shows the attract screen all day);
// - a client that connects during a session, and `/state` (plain HTTP), never get them;
// - when the booth is back on the attract screen the session is over: nobody owns it any more.
// Everything else in the state (which screen, prices, hints) is the same for every client.
import type { ScreenName, ScreenState } from './screen.ts';

/** Screens outside a customer session: the next session starts when the state leaves them. */
const outsideSession: ReadonlySet<ScreenName> = new Set(['attract', 'fault', 'closed']);

/** The state without anything personal: what non-owners and `/state` get. */
export function withoutPersonalData(state: ScreenState): ScreenState {
  const { photo: _photo, strokes: _strokes, code: _code, qrSvg: _qrSvg, expires: _expires, sayValues: _sayValues, ...rest } = state;
  if (rest.fault?.refund) rest.fault = { ...rest.fault, refund: { ...rest.fault.refund, claimCode: null } };
  return rest;
}

export class SessionAudience<Client> {
  private owners = new Set<Client>();
  private starter: Client | undefined;
  private inSession = false;

  /** A client sent a customer action (`start` on the attract screen claims the next session). */
  acted(client: Client, action: string, screen: ScreenName): void {
    if (action === 'start' && outsideSession.has(screen)) this.starter = client;
  }

  /** Each published state: a session starts when the state leaves the screens outside one. */
  published(state: ScreenState, connected: Iterable<Client>): void {
    const inSession = !outsideSession.has(state.screen);
    if (inSession && !this.inSession) this.owners = new Set(this.starter !== undefined ? [this.starter] : connected);
    if (state.screen === 'attract') this.owners.clear();
    if (inSession) this.starter = undefined;
    this.inSession = inSession;
  }

  left(client: Client): void {
    this.owners.delete(client);
    if (this.starter === client) this.starter = undefined;
  }

  owns(client: Client): boolean {
    return this.owners.has(client);
  }

  /** The state as `client` may see it. */
  view(state: ScreenState, client: Client): ScreenState {
    return this.owns(client) ? state : withoutPersonalData(state);
  }
}
