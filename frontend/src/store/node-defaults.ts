/** What a node dragged from the palette starts as. The server's issues say what is left to fill in. */
import type { XYPosition } from '@xyflow/react';

import { STAGE_WIDTH, stageHeightFor, type FlowNode, type StepType } from '../lib/document';
import type { PaletteType } from '../lib/palette';

export function newNode(type: PaletteType, id: string, position: XYPosition): FlowNode {
  switch (type) {
    case 'stage':
      return {
        id,
        type,
        position,
        width: STAGE_WIDTH,
        height: stageHeightFor(2),
        data: { label: 'New stage', entry: null, exit: { when: 'all_steps' } },
      };
    case 'interactive':
      return {
        id,
        type,
        position,
        data: {
          label: 'New task',
          start: { when: 'stage_start' },
          form: { fields: [], outcomes: [{ value: 'done', label: 'Done' }] },
        },
      };
    case 'background':
      return { id, type, position, data: { label: 'New action', start: { when: 'stage_start' }, inputs: {} } };
    case 'wait':
      return {
        id,
        type,
        position,
        data: { label: 'New wait', start: { when: 'stage_start' }, timer: { duration: 'P1D' } },
      };
    case 'decision':
      return { id, type, position, data: { label: 'New decision', outcomes: [] } };
    case 'start':
      return { id, type, position, data: {} };
    case 'end':
      return { id, type, position, data: { label: 'End' } };
  }
}

export const STEP_LABELS: Record<StepType, string> = {
  interactive: 'Interactive step',
  background: 'Background step',
  wait: 'Wait step',
};
