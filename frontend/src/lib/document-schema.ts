/**
 * The orchestration document (runtime/FORMAT.md), checked at the boundary with zod.
 *
 * The server saves drafts that do not validate yet (a design in progress is
 * incomplete) and lists their issues; the canvas must open every stored draft so
 * that an admin can fix it. So these schemas check what the canvas relies on — the
 * JSON shape, node ids and types, the stage of a step, edge ends — and leave the
 * rules of FORMAT.md (required fields, closed sets of values, CEL) to the server.
 * Objects are loose: a field the canvas does not know is kept and saved back as it
 * came, and the server's validation names it.
 */
import { z } from 'zod';

/** Free-form canvas data; `x`, `y`, `width`, `height` are the canvas's own. */
export const uiSchema = z.looseObject({
  x: z.number().optional(),
  y: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
});

/** The rest of a node's `ui` once the canvas has taken its geometry out. */
const uiExtraSchema = z.record(z.string(), z.unknown());

const expressionMap = z.record(z.string(), z.string());

const assigneeSchema = z.looseObject({ type: z.string(), value: z.string() });

const formFieldSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  label: z.string().optional(),
  required: z.boolean().optional(),
  options: z.array(z.string()).optional(),
  help: z.string().optional(),
  default: z.unknown().optional(),
});

const formSchema = z.looseObject({
  fields: z.array(formFieldSchema).optional(),
  outcomes: z.array(z.looseObject({ value: z.string(), label: z.string().optional() })).optional(),
});

const stepStartSchema = z.looseObject({
  when: z.string(),
  steps: z.array(z.string()).optional(),
  condition: z.string().optional(),
});

const described = {
  label: z.string().optional(),
  description: z.string().optional(),
  ui: uiExtraSchema.optional(),
};

const stepCommon = {
  ...described,
  start: stepStartSchema.optional(),
  set: expressionMap.optional(),
};

// Node data: a document node without `id`, `type`, `ui` geometry and a step's `stage`,
// which the canvas holds as the React Flow node's id, type, position/size and parentId.

export const startDataSchema = z.looseObject({ ...described });
export const endDataSchema = z.looseObject({ ...described });

export const stageDataSchema = z.looseObject({
  ...described,
  entry: z.looseObject({ condition: z.string() }).nullable().optional(),
  exit: z.looseObject({ when: z.string(), condition: z.string().optional() }).optional(),
});

export const interactiveDataSchema = z.looseObject({
  ...stepCommon,
  assignee: assigneeSchema.optional(),
  form: formSchema.optional(),
  due: z.string().optional(),
  escalation: z
    .looseObject({ after: z.string().optional(), action: z.string(), to: assigneeSchema.optional() })
    .optional(),
  approval: z
    .looseObject({
      policy: z.string(),
      approvers: z.array(assigneeSchema).optional(),
      quorum: z.number().optional(),
      approve_outcome: z.string().optional(),
    })
    .optional(),
});

export const backgroundDataSchema = z.looseObject({
  ...stepCommon,
  action: z.string().optional(),
  inputs: expressionMap.optional(),
  retry: z
    .looseObject({
      max_attempts: z.number().optional(),
      backoff: z.string().optional(),
      multiplier: z.number().optional(),
      max_backoff: z.string().optional(),
    })
    .optional(),
});

export const waitDataSchema = z.looseObject({
  ...stepCommon,
  until: z.string().optional(),
  event: z
    .looseObject({ name: z.string(), correlation: z.string().optional(), buffer: z.boolean().optional() })
    .optional(),
  timer: z.looseObject({ duration: z.string().optional(), at: z.string().optional() }).optional(),
});

export const decisionOutcomeSchema = z.looseObject({
  id: z.string(),
  label: z.string().optional(),
  condition: z.string().optional(),
});

export const decisionDataSchema = z.looseObject({
  ...described,
  outcomes: z.array(decisionOutcomeSchema).optional(),
});

const placed = { id: z.string(), ui: uiSchema.optional() };
const inStage = { ...placed, stage: z.string().optional() };

export const documentNodeSchema = z.discriminatedUnion('type', [
  startDataSchema.extend({ ...placed, type: z.literal('start') }),
  endDataSchema.extend({ ...placed, type: z.literal('end') }),
  stageDataSchema.extend({ ...placed, type: z.literal('stage') }),
  interactiveDataSchema.extend({ ...inStage, type: z.literal('interactive') }),
  backgroundDataSchema.extend({ ...inStage, type: z.literal('background') }),
  waitDataSchema.extend({ ...inStage, type: z.literal('wait') }),
  decisionDataSchema.extend({ ...placed, type: z.literal('decision') }),
]);

export const documentEdgeSchema = z.looseObject({
  id: z.string(),
  source: z.string(),
  target: z.string(),
  outcome: z.string().optional(),
  kind: z.string().optional(),
  label: z.string().optional(),
  ui: uiExtraSchema.optional(),
});

const declaredValueSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  label: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  max_items: z.number().optional(),
});

/** How runs start: by hand (the API, a page, another run) or when a record is saved. */
export const triggerSchema = z.looseObject({
  type: z.string(),
  object: z.string().optional(),
  on: z.array(z.string()).optional(),
  condition: z.string().optional(),
});

/** Everything in a document but its nodes and edges. */
export const documentMetaSchema = z.looseObject({
  format: z.number().optional(),
  key: z.string(),
  label: z.string().optional(),
  description: z.string().optional(),
  trigger: triggerSchema.optional(),
  inputs: z.array(declaredValueSchema).optional(),
  variables: z.array(declaredValueSchema).optional(),
  ui: uiExtraSchema.optional(),
});

export const orchestrationDocumentSchema = documentMetaSchema.extend({
  nodes: z.array(documentNodeSchema),
  edges: z.array(documentEdgeSchema),
});

export type OrchestrationDocument = z.infer<typeof orchestrationDocumentSchema>;
export type DocumentMeta = z.infer<typeof documentMetaSchema>;
export type Trigger = z.infer<typeof triggerSchema>;
export type DocumentNode = z.infer<typeof documentNodeSchema>;
export type DocumentEdge = z.infer<typeof documentEdgeSchema>;
export type DocumentNodeType = DocumentNode['type'];

export type StartData = z.infer<typeof startDataSchema>;
export type EndData = z.infer<typeof endDataSchema>;
export type StageData = z.infer<typeof stageDataSchema>;
export type InteractiveData = z.infer<typeof interactiveDataSchema>;
export type BackgroundData = z.infer<typeof backgroundDataSchema>;
export type WaitData = z.infer<typeof waitDataSchema>;
export type DecisionData = z.infer<typeof decisionDataSchema>;
export type DecisionOutcome = z.infer<typeof decisionOutcomeSchema>;

/** The document, checked; throws a {@link DocumentShapeError} that names every misfit. */
export function parseDocument(payload: unknown): OrchestrationDocument {
  const result = orchestrationDocumentSchema.safeParse(payload);
  if (!result.success) throw new DocumentShapeError(result.error);
  return result.data;
}

export class DocumentShapeError extends Error {
  readonly problems: string[];

  constructor(error: z.ZodError) {
    const problems = error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`);
    super(`the document cannot be opened on the canvas: ${problems.join('; ')}`);
    this.name = 'DocumentShapeError';
    this.problems = problems;
  }
}
