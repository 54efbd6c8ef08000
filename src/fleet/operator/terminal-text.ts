// Text that came from a booth, made safe to print on an operator's terminal: C0 and C1 control
// characters (ESC sequences can rewrite the screen, move the cursor, set the window title),
// DEL and the Unicode bidirectional overrides (which reorder what is shown) become visible
// escapes such as \x1b. Newlines inside a value are escaped too: one value stays one line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
