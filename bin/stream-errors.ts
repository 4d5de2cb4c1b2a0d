/**
 * A reader that goes away (`| head`, `2>&1 | head`, `2> >(…)`) ends what a command prints there,
 * quietly: no EPIPE stack. What the command does goes on to its end (a deploy is not left
 * half-done for want of a reader), with its exit status; `logs --follow` stops by itself when
 * stdout's reader goes (bin/commands/logs.ts). For the ESM bundle (bin/cli.ts) and the
 * dashboard's bundle (bin/dashboard-front.ts).
 */
export function quietWhenReadersGo(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
}
