// Figures for the codes and the session journal: code checks per second, code issuance and
// journal appends per second on a real file (WAL, synchronous=FULL, so each is one fsync).
// Run: node --import tsx bench/codes-journal.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCode, generateCode } from '../src/codes/code.ts';
import { createCodeRegistry } from '../src/codes/registry.ts';
import { openJournal } from '../src/flows/journal.ts';
import { openStore } from '../src/store/db.ts';

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

const codes = Array.from({ length: 20000 }, () => generateCode('9CAB'));
let t0 = performance.now();
for (const c of codes) checkCode(c.slice(0, 9) + (c[9] === 'A' ? 'B' : 'A') + c.slice(10));
console.log(`checkCode (with correction): ${rate(codes.length, performance.now() - t0)} codes/s`);

const dir = mkdtempSync(join(tmpdir(), 'cabine-bench-'));
const store = openStore(dir);
const registry = createCodeRegistry(store, { prefix: '9CAB' });
t0 = performance.now();
const n = 500;
for (let i = 0; i < n; i++) registry.issueForSession(`bench-${i}`);
const issueMs = performance.now() - t0;
console.log(`issueForSession (durable): ${rate(n, issueMs)} codes/s, ${(issueMs / n).toFixed(2)} ms each`);

const journal = openJournal(store);
t0 = performance.now();
for (let i = 0; i < n; i++) journal.append(`bench-j`, i === 0 ? { type: 'SESSION_STARTED', product: 'ephoto', dueCents: 800, startedAt: new Date().toISOString() } : { type: 'COIN_CREDITED', coinId: `c${i}`, cents: 200 }, new Date());
const appendMs = performance.now() - t0;
console.log(`journal.append (durable): ${rate(n, appendMs)} entries/s, ${(appendMs / n).toFixed(2)} ms each`);
t0 = performance.now();
const entries = journal.entries('bench-j').length;
console.log(`journal.entries: ${entries} entries read back in ${(performance.now() - t0).toFixed(1)} ms`);
store.close();
rmSync(dir, { recursive: true, force: true });
