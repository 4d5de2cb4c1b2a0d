import { createInterface } from 'node:readline';
import { terminalSafe } from '../src/display-text.js';

/** One question on the terminal; resolves with the answer, or undefined on ctrl-c / ctrl-d. */
function ask(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    rl.on('SIGINT', () => {
      process.stdout.write('\n');
      rl.close();
    });
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
    // A question may name outside text (a history tag from deploy.json).
    rl.question(terminalSafe(question), (answer) => {
      answered = true;
      resolve(answer);
      rl.close();
    });
  });
}

/** A y/N question; anything but y/yes, ctrl-c or ctrl-d is no. */
export async function askYesNo(question: string): Promise<boolean> {
  const answer = await ask(question);
  return answer !== undefined && /^y(es)?$/i.test(answer.trim());
}

/** Asks the operator to type a word (an environment, a stack name); only that word confirms. */
export async function askTyped(question: string, expected: string): Promise<boolean> {
  const answer = await ask(question);
  return answer !== undefined && answer.trim() === expected;
}
