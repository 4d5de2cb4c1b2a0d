import React from 'react';
import { Box, Text } from 'ink';
import { bannerHeight, footerKeys, type DashboardState } from '../state/dashboard.js';
import type { SetupFormState } from '../state/setup-form.js';
import { Header } from './Header.js';
import { Footer, footerHeight } from './Footer.js';
import { ErrorBanner } from './ErrorBanner.js';
import { EnvironmentPanel, endpointWidth, panelHeight, panelMinHeight } from './EnvironmentPanel.js';
import { Help } from './Help.js';
import { Logs } from './Logs.js';
import { Deploy } from './Deploy.js';
import { Promote } from './Promote.js';
import { Rollback } from './Rollback.js';
import { TestResult } from './TestResult.js';
import { Cost } from './Cost.js';
import { dashboardEstimate, panelCostText } from './cost-view.js';
import type { WelcomeProps } from './Welcome.js';
import { displayLine } from '../display-text.js';

export interface DashboardProps {
  readonly state: DashboardState;
  readonly onSetup: (apply: (form: SetupFormState) => SetupFormState) => void;
  readonly onSave: () => void;
  readonly configDir?: string;
  /** The welcome screen, loaded only when there is no profile (it brings the form's checks). */
  readonly welcome?: React.ComponentType<WelcomeProps>;
}

/** An endpoint's usual length (`https://<10>.execute-api.<region>.amazonaws.com/prod`), before one is known. */
const TYPICAL_ENDPOINT = 'https://a1b2c3d4e5.execute-api.ap-southeast-2.amazonaws.com/prod';

/**
 * Panels sit side by side only when each can show every endpoint whole beside
 * its label; otherwise they are stacked, full width.
 */
export function sideBySide(width: number, endpoints: readonly (string | null | undefined)[]): boolean {
  if (endpoints.length < 2) return false;
  const widest = Math.max(...endpoints.map((e) => endpointWidth(e ?? TYPICAL_ENDPOINT)));
  return Math.floor(width / endpoints.length) - 4 >= widest;
}

/**
 * The whole frame as a function of state: never taller than rows - 1 (a frame
 * as tall as the terminal makes Ink 6 clear the screen on every redraw), every
 * line cut to the width. The main screen's own text keeps to the characters
 * that the bundles' Ink measures and cuts without Intl.Segmenter (PLAIN in
 * scripts/ink-output.mjs: ASCII, …, box drawing, block elements): the first
 * other character (from AWS, say) starts the Segmenter and compiles an emoji
 * regular expression, some 40 ms of that frame.
 */
export function Dashboard({ state, onSetup, onSave, configDir, welcome: Welcome }: DashboardProps): React.JSX.Element {
  const width = Math.max(1, state.size.columns);
  const height = Math.max(1, state.size.rows - 1);
  const banner = bannerHeight(state);
  const keys = footerKeys(state);
  const footerRows = Math.min(footerHeight(keys, width), Math.max(1, height - 1));
  const footer = <Footer keys={keys} width={width} />;
  const bannerNode = state.banner && banner > 0 ? <ErrorBanner error={state.banner} width={width} height={banner} /> : null;
  if (state.screen === 'welcome' || !state.stack) {
    const body = Math.max(0, height - footerRows - banner);
    return (
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        {bannerNode}
        {state.setup && Welcome ? <Welcome setup={state.setup} onSetup={onSetup} onSave={onSave} configDir={configDir} width={width} height={body} /> : <Box height={body} />}
        {footer}
      </Box>
    );
  }
  const body = Math.max(0, height - 1 - footerRows - banner - (state.confirmQuit ? 1 : 0));
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
    case 'cost':
      return <Cost view={dashboardEstimate(state.stack, state.snapshot)} width={width} height={height} />;
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
  const statuses = envs.map((e) => state.snapshot?.environments.find((s) => s.name === e.name) ?? null);
  const row = sideBySide(width, envs.map((e, i) => statuses[i]?.endpoint ?? state.records[e.name]?.endpoint));
  const count = Math.max(1, envs.length);
  const estimate = state.stack?.cost ? dashboardEstimate(state.stack, state.snapshot) : null;
  const panelWidth = row ? Math.floor(width / count) : width;
  const props = envs.map((e, i) => {
    const record = state.records[e.name];
    const last = record && record.imageTag && record.deployedAt ? { imageTag: record.imageTag, deployedAt: record.deployedAt, ...(record.deployedBy ? { deployedBy: record.deployedBy } : {}) } : null;
    return {
      name: e.name,
      profile: e.profile,
      status: statuses[i],
      snapshot: state.snapshot,
      lastDeploy: last,
      history: [...(last ? [last] : []), ...(record?.history ?? []).filter((h) => h.imageTag && h.deployedAt).map((h) => ({ imageTag: h.imageTag, deployedAt: h.deployedAt, ...(h.deployedBy ? { deployedBy: h.deployedBy } : {}) }))],
      lastTest: state.lastTests[e.name],
      cost: estimate ? panelCostText(estimate, e.name) : undefined,
      selected: state.selected === e.name,
      width: panelWidth,
      now: state.now,
    };
  });
  // Why the metrics cannot be read is said once for the stack, above the panels, not in each.
  const metricsError = state.snapshot?.metricsError ?? null;
  const noteRows = metricsError && height > 4 ? 1 : 0;
  const panelsHeight = height - noteRows;
  const heights = row ? props.map(() => panelsHeight) : stackedHeights(props.map(panelHeight), props.map(panelMinHeight), Math.max(0, props.findIndex((p) => p.selected)), panelsHeight);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {noteRows > 0 ? (
        <Text color="yellow" wrap="truncate-end">
          {`metrics: ${displayLine(metricsError, width)}`}
        </Text>
      ) : null}
      <Box flexDirection={row ? 'row' : 'column'} width={width} height={panelsHeight} overflow="hidden">
        {props.map((p, i) => (
          <EnvironmentPanel key={p.name} {...p} height={heights[i]} />
        ))}
      </Box>
    </Box>
  );
}

/**
 * Rows of stacked panels: each as tall as its content when all fit; else the
 * selected panel gets the room first, the others keep at least their title,
 * endpoint and the count of what they hide.
 */
export function stackedHeights(wants: readonly number[], mins: readonly number[], selected: number, height: number): number[] {
  if (wants.length === 0) return [];
  if (wants.reduce((a, b) => a + b, 0) <= height) return [...wants];
  const others = wants.map((_, i) => i).filter((i) => i !== selected);
  const out = wants.map(() => 0);
  const othersMin = others.reduce((n, i) => n + Math.min(mins[i], wants[i]), 0);
  out[selected] = Math.max(0, Math.min(wants[selected], height - othersMin));
  let left = height - out[selected];
  for (const i of others) {
    out[i] = Math.min(wants[i], Math.max(0, left - others.filter((j) => j > i).reduce((n, j) => n + Math.min(mins[j], wants[j]), 0)));
    left -= out[i];
  }
  // Rows nobody wanted (the selected panel was whole already) go to the selected one: nothing is left unused while something is hidden.
  if (left > 0) out[selected] += left;
  return out;
}
