/**
 * Outside text that tries to drive the terminal, as an ECS stop reason, a cdk
 * line or an HTTP body could carry it: retitle the window (OSC), clear the
 * screen (CSI), ring (BEL), forge a line (CR LF), DEL, a one-byte CSI
 * (U+009B) and NEL (U+0085).
 */
export const HOSTILE = 'Task failed \u001b]0;pwned\u0007\u001b[2J boom\r\nFAKE: prod healthy\u007f\u009b31m\u0085end';

/** Any control character left raw (C0 but the line feed, DEL, C1). */
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
