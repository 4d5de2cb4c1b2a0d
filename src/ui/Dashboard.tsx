import React from 'react';
import { Box, Text } from 'ink';
import { bannerHeight, footerKeys, type DashboardState } from '../state/dashboard.js';
import type { SetupFormState } from '../state/setup-form.js';
import { Header } from './Header.js';
import { Footer } from './Footer.js';
import { ErrorBanner } from './ErrorBanner.js';
import { EnvironmentPanel, panelHeight } from './EnvironmentPanel.js';
import { Help } from './Help.js';
import { Logs } from './Logs.js';
import { Deploy } from './Deploy.js';
import { Promote } from './Promote.js';
import { Rollback } from './Rollback.js';
import { TestResult } from './TestResult.js';
import type { WelcomeProps } from './Welcome.js';

export interface DashboardProps {
  readonly state: DashboardState;
  readonly onSetup: (apply: (form: SetupFormState) => SetupFormState) => void;
  readonly onSave: () => void;
  readonly configDir?: string;
  /** The welcome screen, loaded only when there is no profile (it brings the form's checks). */
  readonly welcome?: React.ComponentType<WelcomeProps>;
}

/** Side by side from this many columns; stacked below. */
export const SIDE_BY_SIDE_COLUMNS = 100;

/**
 * The whole frame as a function of state: never taller than rows - 1 (a frame
 * as tall as the terminal makes Ink 6 clear the screen on every redraw), every
 * line cut to the width. The main screen is plain ASCII until data arrives:
 * the first non-ASCII character Ink measures starts Intl.Segmenter and compiles
 * an emoji regular expression, some 50 ms that would delay the first frame.
 */
export function Dashboard({ state, onSetup, onSave, configDir, welcome: Welcome }: DashboardProps): React.JSX.Element {
  const width = Math.max(1, state.size.columns);
  const height = Math.max(1, state.size.rows - 1);
  const banner = bannerHeight(state);
  const footer = <Footer keys={footerKeys(state)} width={width} />;
  const bannerNode = state.banner && banner > 0 ? <ErrorBanner error={state.banner} width={width} height={banner} /> : null;
  if (state.screen === 'welcome' || !state.stack) {
    const body = Math.max(0, height - 1 - banner);
    return (
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        {bannerNode}
        {state.setup && Welcome ? <Welcome setup={state.setup} onSetup={onSetup} onSave={onSave} configDir={configDir} width={width} height={body} /> : <Box height={body} />}
        {footer}
      </Box>
    );
  }
  const body = Math.max(0, height - 2 - banner - (state.confirmQuit ? 1 : 0));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Header stack={state.stack} snapshot={state.snapshot} refreshing={state.refreshing} now={state.now} width={width} />
      {bannerNode}
      <Box height={body} width={width} overflow="hidden">
        <Body state={state} width={width} height={body} />
      </Box>
      {state.confirmQuit ? (
        <Text bold color="yellow" wrap="truncate-end">
          A deploy is running: quitting cancels it (cdk is stopped). Quit?
        </Text>
      ) : null}
      {footer}
    </Box>
  );
}

function Body({ state, width, height }: { state: DashboardState; width: number; height: number }): React.JSX.Element | null {
  if (height <= 0) return null;
  switch (state.screen) {
    case 'help':
      return <Help width={width} height={height} />;
    case 'logs':
      return state.logs ? <Logs logs={state.logs} width={width} height={height} /> : null;
    case 'test':
      return state.test ? <TestResult test={state.test} width={width} height={height} /> : null;
    case 'operation': {
      const op = state.operation;
      if (!op) return null;
      const props = { operation: op, width, height, now: state.now };
      return op.kind === 'promote' ? <Promote {...props} /> : op.kind === 'rollback' ? <Rollback {...props} /> : <Deploy {...props} />;
    }
    default:
      return <Main state={state} width={width} height={height} />;
  }
}

function Main({ state, width, height }: { state: DashboardState; width: number; height: number }): React.JSX.Element {
  const envs = state.stack?.environments ?? [];
  const sideBySide = envs.length > 1 && width >= SIDE_BY_SIDE_COLUMNS;
  const count = Math.max(1, envs.length);
  const panelWidth = sideBySide ? Math.floor(width / count) : width;
  const props = envs.map((e) => {
    const record = state.records[e.name];
    return {
      name: e.name,
      profile: e.profile,
      status: state.snapshot?.environments.find((s) => s.name === e.name) ?? null,
      snapshot: state.snapshot,
      lastDeploy: record && record.imageTag && record.deployedAt ? { imageTag: record.imageTag, deployedAt: record.deployedAt } : null,
      lastTest: state.lastTests[e.name],
      selected: state.selected === e.name,
      width: panelWidth,
      now: state.now,
    };
  });
  // Each panel as tall as its content, within its share of the rows.
  const wanted = props.map((p) => panelHeight(p));
  const heights = sideBySide
    ? props.map(() => Math.min(height, Math.max(...wanted)))
    : props.map((_, i) => Math.min(wanted[i], Math.floor(height / count) + (i < height % count ? 1 : 0) + Math.max(0, Math.floor(height / count) - (wanted[1 - i] ?? Infinity))));
  return (
    <Box flexDirection={sideBySide ? 'row' : 'column'} width={width} height={height} overflow="hidden">
      {props.map((p, i) => (
        <EnvironmentPanel key={p.name} {...p} height={heights[i]} />
      ))}
    </Box>
  );
}
