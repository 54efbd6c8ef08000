// Attacks on a booth's commands, through real Mosquitto (fleet ACL, TLS) to a real booth's fleet
// part: a retained `cmd/reboot` left on the broker (it rebooted the booth at every start), a
// `reboot` during a customer's capture, and a flood of commands. Refused: the retained one never
// runs, the reboot waits for the customer unless forced, the flood is answered `busy` beyond the
// rate limit — and the booth answers an honest command after each.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { connectOperator, requestCommand } from '../../src/fleet/operator/client.ts';
import { COMMAND_BURST } from '../../src/fleet/parts/commands.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { makeBooth, until } from '../fleet/helpers/booth.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const conn = await connectOperator({ url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile }, silentLogger(), 'op');
t.teardown(() => conn.stop());

t.test('a retained reboot is never run, at start or after', async (t) => {
  await conn.publish(topics.cmd('RET-1', 'reboot'), '{"reason":"left behind"}', {
    qos: 1,
    retain: true,
    properties: { responseTopic: `${topics.replyPrefix('RET-1')}x`, correlationData: randomBytes(8) },
  });
  const events: string[] = [];
  conn.subscribe('watch', topics.events('RET-1'), 1, (_topic, body) => events.push(body.toString()));
  await conn.publish('cabine/v1/_sync', '', { qos: 1 });
  const booth = makeBooth(broker, 'RET-1');
  t.teardown(async () => {
    await conn.publish(topics.cmd('RET-1', 'reboot'), '', { qos: 1, retain: true }); // clear it
    conn.unsubscribeOwner('watch');
    await booth.close();
  });
  booth.fleet.start();
  await until('the retained command reported as ignored', () => events.some((e) => /retained command \\?"reboot\\?" ignored/.test(e)));
  t.match(await requestCommand(conn, 'RET-1', 'ping', {}), { ok: true }, 'a live command is answered');
  t.same(booth.calls.reboots, [], 'no reboot');
});

t.test('reboot and print-test wait for the customer unless forced', async (t) => {
  const booth = makeBooth(broker, 'SES-1', { hooks: { status: () => ({ sales: { enabled: true }, priceCents: 800, step: 'capture', devices: [] }) } });
  t.teardown(() => booth.close());
  booth.fleet.start();
  await until('connected', () => booth.fleet.listening);
  t.match(await requestCommand(conn, 'SES-1', 'reboot', { reason: 'update' }), { ok: false, error: { code: 'busy', message: /customer session is under way \(step capture\)/ } });
  t.match(await requestCommand(conn, 'SES-1', 'print-test', {}), { ok: false, error: { code: 'busy' } });
  t.same(booth.calls.reboots, [], 'not rebooted');
  t.equal(booth.calls.printTests, 0, 'nothing printed');
  t.match(await requestCommand(conn, 'SES-1', 'reboot', { reason: 'emergency', force: true }), { ok: true, result: { rebooting: true } });
  await until('rebooted when forced', () => booth.calls.reboots.length === 1);
  t.same(booth.calls.reboots, ['emergency']);
});

t.test('a flood of commands is answered busy beyond the limit', async (t) => {
  const booth = makeBooth(broker, 'FLOOD-1');
  t.teardown(() => booth.close());
  booth.fleet.start();
  await until('connected', () => booth.fleet.listening);
  const answers = await Promise.all(Array.from({ length: COMMAND_BURST + 10 }, () => requestCommand(conn, 'FLOOD-1', 'set-price', { cents: 900 })));
  const busy = answers.filter((a) => !a.ok && a.error.code === 'busy').length;
  t.ok(busy >= 10 - 2, `${busy} of ${answers.length} refused as busy`);
  t.ok(booth.calls.price.length <= COMMAND_BURST + 2, `only ${booth.calls.price.length} ran`);
});
