// Shared by the attack replays: an MQTT client with a fleet certificate for any CN (the
// attacker's own booth identity), built on the fleet tests' real Mosquitto helper.
import { readFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import type { TestBroker } from '../fleet/helpers/broker.ts';

export async function certClient(broker: TestBroker, cn: string): Promise<MqttClient> {
  const id = broker.identity(cn);
  return connectAsync(broker.url, {
    protocolVersion: 5,
    ca: readFileSync(broker.ca!.certFile),
    cert: readFileSync(id.certFile),
    key: readFileSync(id.keyFile),
    reconnectPeriod: 0,
  });
}

/** Every id acknowledged on `topic` (a booth's records/ack) from now on. */
export async function ackedIds(client: MqttClient, topic: string): Promise<string[]> {
  const ids: string[] = [];
  client.on('message', (t, payload) => {
    if (t === topic) ids.push(...(JSON.parse(payload.toString()) as { ids: string[] }).ids);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return ids;
}
