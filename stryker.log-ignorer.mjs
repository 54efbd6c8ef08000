// Stryker ignore-plugin: no mutant inside a log call (`this.log.info(…)`, `log.warn(…)`,
// `logger.child(…)`).
// A log line's fields and wording are for the person reading the journal, not behaviour a test
// can pin (tests run with a silent logger); each would survive and cost a full run of the
// module's tests. What the booth tells anyone (events, alarms, errors, status) stays mutated.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

// `child` only adds fields to the lines a logger writes.
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child']);

const named = (node) => node.type === 'Identifier' && (node.name === 'log' || node.name === 'logger');
/** `log`, `logger`, `this.log`, `options.logger`: the receiver of a log call. */
const isLogger = (node) => named(node) || (node.type === 'MemberExpression' && named(node.property));

function isLogCall(node) {
  if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression') return false;
  const { object, property } = node.callee;
  if (property.type !== 'Identifier' || !LEVELS.has(property.name)) return false;
  // `child` is only ever a logger's (`(options.logger ?? silentLogger()).child(…)`).
  return property.name === 'child' || isLogger(object);
}

/** A statement that only logs: `log.info(…);` or `{ log.info(…); }`. */
const onlyLogs = (node) =>
  (node.type === 'ExpressionStatement' && isLogCall(node.expression)) ||
  (node.type === 'BlockStatement' && node.body.length > 0 && node.body.every(onlyLogs));

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'LogCalls', {
    shouldIgnore(path) {
      const node = path.node;
      if (isLogCall(node)) return 'a log line (for people, not behaviour): docs/testing.md';
      // `if (changed) log.info(…)`: its condition only decides whether a line is logged.
      if (node.type === 'IfStatement' && !node.alternate && onlyLogs(node.consequent)) return 'a condition that only decides a log line: docs/testing.md';
      // `.catch((err) => log.warn(…))`: an arrow that only logs.
      if (node.type === 'ArrowFunctionExpression' && isLogCall(node.body)) return 'an arrow function that only logs: docs/testing.md';
      // `catch (err) { log.warn(…); }`: emptying such a block only silences the log.
      if (node.type === 'BlockStatement' && onlyLogs(node)) return 'a block that only logs: docs/testing.md';
      return undefined;
    },
  }),
];
