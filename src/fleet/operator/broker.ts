// Mosquitto configuration for a Cabine fleet: TLS with client certificates required, the
// certificate CN as username, and ACL patterns that confine each booth to its own topics.
// Used by the tests (a real Mosquitto per test file) and shown in docs/fleet.md for operators.

export interface BrokerConfigOptions {
  port: number;
  host?: string;
  /** TLS listener with client certificates required; plain TCP when absent (tests, benchmarks). */
  tls?: { caFile: string; certFile: string; keyFile: string };
  /** Absent: no ACL at all (only for a plain loopback broker in benchmarks). */
  aclFile?: string;
  /** Plain listener only: usernames are taken from the CONNECT (no authentication). */
  allowAnonymous?: boolean;
  persistenceDir?: string;
  maxConnections?: number;
  /** Account Mosquitto runs as when started by root (tests: the current user, so it can read its temp dir). */
  user?: string;
  /** Largest MQTT packet accepted from a client (default BROKER_MAX_PACKET_BYTES). */
  maxPacketBytes?: number;
}

/**
 * The broker refuses (and disconnects) a client sending a packet larger than this: 10 MiB, above
 * the largest message a booth sends (a session record with its photo and signature is well
 * under 1 MiB; the ingest refuses records over 8 MiB, json-limits.ts) and far below what would
 * hurt the broker or the ingest (three 60 MB publishes took the ingest from 102 to 403 MB).
 */
export const BROKER_MAX_PACKET_BYTES = 10 * 1024 * 1024;

/** Operator identities (certificate CNs). They contain a dot, which booth ids cannot. */
export const OPERATOR_CN = 'fleet.operator';

export function mosquittoConfig(o: BrokerConfigOptions): string {
  const lines = [
    'per_listener_settings false',
    `listener ${o.port} ${o.host ?? '127.0.0.1'}`,
    `max_connections ${o.maxConnections ?? -1}`,
    ...(o.aclFile ? [`acl_file ${o.aclFile}`] : []),
    'max_inflight_messages 100',
    `max_packet_size ${o.maxPacketBytes ?? BROKER_MAX_PACKET_BYTES}`,
    // A subscriber that falls behind (the ingest during a replay after an outage) gets a deep
    // queue, bounded in bytes, rather than drops: a dropped record only comes back after the
    // booth's ack timeout (15 s, doubling), which turned an overload into a collapse in
    // bench/fleet-load.ts (10,000-message queue: 56,000 drops for 60,000 records).
    'max_queued_messages 1000000',
    'max_queued_bytes 536870912',
    'retain_available true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (o.user) lines.push(`user ${o.user}`);
  if (o.tls) {
    lines.push(
      `cafile ${o.tls.caFile}`,
      `certfile ${o.tls.certFile}`,
      `keyfile ${o.tls.keyFile}`,
      'require_certificate true',
      'use_identity_as_username true',
      'tls_version tlsv1.2',
      'allow_anonymous false',
    );
  } else {
    lines.push(`allow_anonymous ${o.allowAnonymous === false ? 'false' : 'true'}`);
  }
  if (o.persistenceDir) lines.push('persistence true', `persistence_location ${o.persistenceDir}/`);
  else lines.push('persistence false');
  return lines.join('\n') + '\n';
}

export interface AclOptions {
  operators?: string[];
  /** Operators may acknowledge records (false: to simulate acks lost at the broker). */
  operatorsMayAck?: boolean;
}

/** The ACL: operators see and steer everything; a booth (%u = its CN) only its own topics. */
export function mosquittoAcl(options: AclOptions = {}): string {
  const lines: string[] = [];
  for (const op of options.operators ?? [OPERATOR_CN]) {
    lines.push(`user ${op}`);
    if (options.operatorsMayAck === false) {
      lines.push('topic read cabine/v1/#', 'topic write cabine/v1/+/cmd/#', 'topic write cabine/v1/+/config/desired');
    } else {
      lines.push('topic readwrite cabine/v1/#');
    }
    lines.push('');
  }
  lines.push(
    '# every booth, by its certificate CN',
    'pattern write cabine/v1/%u/status',
    'pattern write cabine/v1/%u/telemetry',
    'pattern write cabine/v1/%u/events',
    'pattern write cabine/v1/%u/records',
    'pattern read cabine/v1/%u/records/ack',
    'pattern read cabine/v1/%u/cmd/+',
    'pattern write cabine/v1/%u/reply/#',
    'pattern read cabine/v1/%u/config/desired',
    'pattern write cabine/v1/%u/config/reported',
  );
  return lines.join('\n') + '\n';
}
