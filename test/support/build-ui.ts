/**
 * Vitest globalSetup: build the UI (ui/dist) before any test runs when it is missing or older
 * than ui/src, ui/index.html, ui/vite.config.ts or machines/, so the orchestrator the browser
 * tests start serves the current UI.
 */
import { ensureUiBuilt } from '../../scripts/ui-build.ts';

export default function setup(): void {
  ensureUiBuilt((message) => console.log(message));
}

export { ensureUiBuilt };
