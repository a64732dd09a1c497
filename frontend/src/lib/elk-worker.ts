/**
 * The layout worker: elkjs's own worker script, which answers the messages of elkjs's
 * `elk-api` (register, layout) off the page's main thread. lib/layout.ts starts it.
 */
import 'elkjs/lib/elk-worker.min.js';
