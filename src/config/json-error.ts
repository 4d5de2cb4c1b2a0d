/**
 * Describes a JSON syntax error without quoting the file: V8's own message
 * repeats the text around the error, and a profile's text may hold the
 * client secret. Only the kind of error and where it is are kept.
 */
export function describeJsonSyntaxError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message)?.[1];
  const where = position !== undefined ? ` at ${lineColumn(text, Number(position))}` : '';
  if (/Unexpected end of JSON input/i.test(message)) return 'not valid JSON: the file ends too early (a missing } or ], or an empty file)';
  if (/double-quoted property name/i.test(message)) return `not valid JSON${where}: a property name must be in double quotes (or a comma is left before } or ])`;
  if (/Bad control character/i.test(message)) return `not valid JSON${where}: a control character inside a string`;
  if (/Unexpected non-whitespace character after JSON/i.test(message)) return `not valid JSON${where}: more text after the end of the JSON value`;
  return `not valid JSON${where}: an unexpected character (check quotes, commas and braces)`;
}

function lineColumn(text: string, index: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < Math.min(index, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `line ${line}, column ${index - last}`;
}
