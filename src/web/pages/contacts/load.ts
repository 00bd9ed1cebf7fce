import type { Actor } from '../../../services/actor.ts';
import type { Services } from '../../../services/index.ts';
import { isMissing } from './common.ts';

export interface PanelView {
  id: string;
  libraryId: string;
  name: string;
  category: string;
  memberCount: number;
}

/** The panel if the actor may use it; undefined for unknown, malformed or foreign IDs alike. */
export async function loadPanel(services: Services, actor: Actor, libraryId: string, panelId: string): Promise<PanelView | undefined> {
  try {
    const info = await services.panels.getPanelInfo(actor, libraryId, panelId);
    const memberCount = await services.panels.memberCount(actor, libraryId, panelId);
    return { id: info.id, libraryId, name: info.name, category: info.category, memberCount };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
