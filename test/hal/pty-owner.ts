// Test fixture (not product code), run as a child process by sim-pty-owner.test.ts: a process
// owning a socat pty pair (createPtyPair) that prints the pair's paths, then ends as told on
// stdin: "exit" (process.exit, no close), "throw" (an uncaught error), "close" (the orderly
// stop, then exit); or is killed by the test with a signal it does not handle.
import { createInterface } from 'node:readline';
import { createPtyPair } from '../../src/hal/coin-acceptor/sim-pty.ts';

const pair = await createPtyPair();
process.stdout.write(JSON.stringify({ hostPath: pair.hostPath, devicePath: pair.devicePath }) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') process.exit(0);
  if (line === 'throw') throw new Error('the owner fails');
  if (line === 'close') {
    await pair.close();
    process.exit(0);
  }
}
