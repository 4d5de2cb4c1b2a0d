import React from 'react';
import { render } from 'ink';
import { App } from './App.js';
import type { DashboardAction, Transition } from '../state/dashboard.js';
import type { DashboardServices } from './services.js';
import type { WelcomeProps } from './Welcome.js';

export interface DashboardRun {
  readonly services: DashboardServices;
  readonly initial: Transition;
  readonly configDir?: string;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  /** Receives the dispatcher once mounted (signals handled in bin/ go through it). */
  readonly onReady?: (dispatch: (action: DashboardAction) => void) => void;
  /** The welcome screen's component, when there is no profile yet. */
  readonly welcome?: React.ComponentType<WelcomeProps>;
}

/** Renders the dashboard and resolves with its exit status once the App has exited. */
export async function runDashboardApp(run: DashboardRun): Promise<number> {
  let code = 0;
  const instance = render(
    <App services={run.services} initial={run.initial} configDir={run.configDir} onReady={run.onReady} welcome={run.welcome} onExit={(c) => (code = c)} />,
    {
      stdout: run.stdout ?? process.stdout,
      stdin: run.stdin ?? process.stdin,
      // ctrl-c is a key like any other: a running deploy asks before quitting.
      exitOnCtrlC: false,
      // Not incrementalRendering: in Ink 6.8 it starts one row low after a frame that ends in a new line.
      // The frame stays below the terminal's height, so Ink redraws it in place, inside a synchronized update.
      patchConsole: true,
    },
  );
  await instance.waitUntilExit();
  return code;
}
