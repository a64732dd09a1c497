/**
 * The routes of the last layout's edges (lib/layout.ts), keyed by edge id. Not part of the
 * document nor of the undo history: an edge draws its route while both its ends are where
 * the layout put them (edges/use-route.ts), and the usual path once either has moved.
 */
import { create } from 'zustand';

import type { Route } from '../lib/layout';

type RouteState = {
  routes: ReadonlyMap<string, Route>;
  keep: (routes: ReadonlyMap<string, Route>) => void;
};

export const useRouteStore = create<RouteState>()((set) => ({
  routes: new Map(),
  keep: (routes) => set({ routes }),
}));
