/** The builder's one flow store, and hooks that read it with narrow selectors. */
import type { TemporalState } from 'zundo';
import { useStore } from 'zustand';

import { createFlowStore, type FlowState } from './flow-store';
import type { HistoryState } from './history';

export const flowStore = createFlowStore();

export function useFlowStore<T>(selector: (state: FlowState) => T): T {
  return useStore(flowStore, selector);
}

export function useFlowHistory<T>(selector: (state: TemporalState<HistoryState>) => T): T {
  return useStore(flowStore.temporal, selector);
}
