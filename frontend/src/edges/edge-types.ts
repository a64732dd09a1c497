/** The document's edges have no type, so ours replaces React Flow's default one. Module scope on purpose. */
import type { EdgeTypes } from '@xyflow/react';

import OrchestrationEdge from './orchestration-edge';

export const edgeTypes = { default: OrchestrationEdge } satisfies EdgeTypes;
