/**
 * Outside text that tries to drive the terminal, as an ECS stop reason, a cdk
 * line or an HTTP body could carry it: retitle the window (OSC), clear the
 * screen (CSI), ring (BEL), forge a line (CR LF), DEL, a one-byte CSI
 * (U+009B) and NEL (U+0085); show text in another order than it is (a
 * right-to-left override, U+202E, and an isolate, U+2066) and break a line
 * where some terminals and viewers do (U+2028).
 */
export const HOSTILE = 'Task failed \u001b]0;pwned\u0007\u001b[2J boom\r\nFAKE: prod healthy\u007f\u009b31m\u0085end \u202edeliah\u2066 x\u2028y';

/** Any control character left raw (C0 but the line feed, DEL, C1, the bidirectional controls, the line and paragraph separators). */
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
