// A scripted customer for the simulated booth: draws the curtain, poses (a real photograph
// in front of the simulated camera), accepts the photo, signs on the simulated touch panel
// (a recorded signature replayed at register level), and pays with coins through the ccTalk
// simulator. It reacts to the session machine's snapshot, as a person reacts to the screen.
import { join } from 'node:path';
import type { BoothDevices } from '../booth/devices.ts';
import type { SessionMachine, SessionSnapshot } from '../flows/session.ts';
import { SimCurtainSwitch } from '../hal/curtain/index.ts';
import { TouchReplayer, loadRecording } from '../hal/touch/index.ts';
import type { Config } from '../config/schema.ts';

const packageRoot = new URL('../../', import.meta.url).pathname;
const coinIds: [number, string][] = [
  [200, 'EU200A'],
  [100, 'EU100A'],
  [50, 'EU050A'],
  [20, 'EU020A'],
  [10, 'EU010A'],
];

export interface CustomerScript {
  /** Photo put in front of the camera (a compliant portrait by default). */
  photo?: string;
  signature?: string;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  log?: (step: string) => void;
}

export interface CustomerResult {
  sessionId: string;
  snapshot: SessionSnapshot;
  coins: string[];
}

/** Coins that pay `cents` exactly, largest first (the booth gives no change). */
export function coinsFor(cents: number): string[] {
  const coins: string[] = [];
  let left = cents;
  for (const [value, id] of coinIds) {
    while (left >= value) {
      coins.push(id);
      left -= value;
    }
  }
  if (left !== 0) throw new Error(`cannot pay ${cents} cents exactly with euro coins`);
  return coins;
}

export async function playCustomer(machine: SessionMachine, parts: BoothDevices, config: Config, script: CustomerScript = {}): Promise<CustomerResult> {
  const sim = parts.sim;
  if (!sim) throw new Error('the scripted customer needs the simulated booth (--sim)');
  const coinSim = sim.coins;
  if (!coinSim) throw new Error('the scripted customer pays through the in-process ccTalk simulator (no coinAcceptor.port)');
  const log = script.log ?? (() => undefined);
  const ephoto = config.products.find((p) => p.delivers === 'ephoto');
  if (!ephoto) throw new Error('the scripted customer buys an e-photo: the catalogue (products) sells none');
  await sim.camera.selectPhoto(script.photo ?? 'london-004');
  const recording = loadRecording(join(packageRoot, 'test/fixtures/signatures', `${script.signature ?? 'martin'}.json`));
  const coins: string[] = [];
  const deadline = Date.now() + (script.timeoutMs ?? 120_000);

  let handled = '';
  let sessionId: string | null = null;
  return new Promise<CustomerResult>((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() > deadline) finish(new Error(`the customer gave up at step ${machine.snapshot().step}`));
    }, 500);
    const finish = (err?: Error, result?: CustomerResult) => {
      clearInterval(timer);
      unsubscribe();
      if (err) reject(err);
      else resolve(result!);
    };
    const act = async (s: SessionSnapshot) => {
      const key = `${s.sessionId}:${s.step}:${s.busy}:${s.retakesLeft}`;
      if (key === handled) return;
      handled = key;
      if (s.step === 'idle' && sessionId && s.lastSession?.sessionId === sessionId) {
        if (s.lastSession.outcome !== 'completed') return finish(new Error(`session ended ${s.lastSession.outcome}: ${s.lastSession.reason ?? ''}`));
        return;
      }
      if (s.sessionId) sessionId = s.sessionId;
      if (s.step === 'review' && !s.busy) {
        if (!s.canAccept) {
          const failing = (s.checks ?? []).filter((c) => !c.pass).map((c) => c.id);
          return finish(new Error(`photo not compliant: ${failing.join(', ')}`));
        }
        log('photo accepted');
        machine.send({ type: 'ACCEPT' });
      } else if (s.step === 'signature' && !s.busy) {
        log('signing');
        await new TouchReplayer(sim.touch, recording).play({ speed: 4 });
        await parts.touch.settled();
        machine.send({ type: 'SIGNATURE_DONE' });
      } else if (s.step === 'payment' && !s.busy && s.remainingCents > 0) {
        for (const coin of coinsFor(s.remainingCents)) {
          log(`coin ${coin}`);
          if (coinSim.insertCoin(coin) === 'accepted') coins.push(coin);
          await new Promise((r) => setTimeout(r, 300));
        }
      } else if (s.step === 'done' && s.sessionId) {
        log(`code ${s.code}`);
        finish(undefined, { sessionId: s.sessionId, snapshot: s, coins });
      }
    };
    const unsubscribe = machine.subscribe((s) => {
      act(s).catch((err: unknown) => finish(err as Error));
    });
    log('curtain drawn');
    new SimCurtainSwitch(sim.gpio, config.curtain.line, config.curtain.closedLevel)
      .draw({ bounces: 3 })
      .then(() => {
        // The customer chooses the e-photo on the screen and confirms (a one-product booth
        // started it when the curtain closed: then this START is ignored).
        log(`product ${ephoto.id} chosen and confirmed`);
        machine.send({ type: 'START', product: ephoto.id });
      })
      .catch((err: unknown) => finish(err as Error));
  });
}
