// The adaptive ack timeout of the records part (RFC 6298 arithmetic, no clock involved).
import t from 'tap';
import { RetransmitTimer } from '../../src/fleet/parts/rto.ts';

t.test('starts at the floor; the first sample sets SRTT = R, RTTVAR = R/2', async (t) => {
  const rto = new RetransmitTimer({ floorMs: 1000, capMs: 60_000 });
  t.equal(rto.timeoutMs, 1000);
  t.equal(rto.smoothedRttMs, undefined);
  rto.sample(4000);
  t.equal(rto.smoothedRttMs, 4000);
  t.equal(rto.timeoutMs, 4000 + 4 * 2000, 'SRTT + 4 RTTVAR');
});

t.test('fast acks keep the floor; a slowing ingest raises the timeout above its round trip', async (t) => {
  const rto = new RetransmitTimer({ floorMs: 15_000, capMs: 300_000 });
  for (let i = 0; i < 50; i++) rto.sample(20);
  t.equal(rto.timeoutMs, 15_000, 'never below the configured floor');
  let rtt = 20;
  for (let i = 0; i < 200; i++) {
    rtt = Math.min(25_000, rtt * 1.1); // the ingest falls behind: acks take up to 25 s
    rto.sample(rtt);
    t.ok(rto.timeoutMs > rtt, `timeout ${rto.timeoutMs} above the round trip ${Math.round(rtt)}`);
    if (rto.timeoutMs <= rtt) break;
  }
  for (let i = 0; i < 100; i++) rto.sample(25_000);
  t.ok(rto.smoothedRttMs! > 24_000 && rto.smoothedRttMs! <= 25_000, 'SRTT converges to a steady round trip');
  t.ok(rto.timeoutMs >= 25_000 && rto.timeoutMs < 26_000, `steady: little margin once the variance is gone (${rto.timeoutMs})`);
  for (let i = 0; i < 100; i++) rto.sample(50);
  t.equal(rto.timeoutMs, 15_000, 'back to the floor when the ingest catches up');
});

t.test('timeouts double up to the cap; progress or a sample ends the backoff', async (t) => {
  const rto = new RetransmitTimer({ floorMs: 1000, capMs: 5000 });
  rto.backoff();
  t.equal(rto.timeoutMs, 2000);
  rto.backoff();
  rto.backoff();
  t.equal(rto.timeoutMs, 5000, 'capped');
  rto.progress();
  t.equal(rto.timeoutMs, 1000, 'progress: the computed timeout');
  rto.sample(100_000);
  t.equal(rto.timeoutMs, 5000, 'a huge round trip is capped');
  rto.reset();
  t.equal(rto.timeoutMs, 1000);
  t.equal(rto.smoothedRttMs, undefined);
  rto.sample(-5);
  rto.sample(Number.NaN);
  t.equal(rto.smoothedRttMs, undefined, 'nonsense samples are ignored');
  t.throws(() => new RetransmitTimer({ floorMs: 0, capMs: 10 }), /floor/);
  t.throws(() => new RetransmitTimer({ floorMs: 100, capMs: 10 }), /cap/);
});
