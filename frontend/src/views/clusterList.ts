/**
 * A cluster's enterprises as a list of buttons in a popup at the cluster: how the keyboard reaches
 * an enterprise on the map. Focus moves into the list; Escape closes it and returns to the badge.
 */
import L from 'leaflet';
import { request } from '../api/client';
import { ENTERPRISE_NAMES } from '../api/enterprises';
import { formatNumber, t } from '../i18n';
import { el } from '../ui/dom';
import { errorText } from './errors';

export function showClusterList(map: L.Map, ids: string[], total: number, at: L.LatLng, open: (id: string) => void): void {
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const heading = el('h2', { class: 'cluster-list-title', tabindex: '-1' }, t('cluster', { n: formatNumber(total) }));
  const list = el('ul', { class: 'cluster-list' });
  const box = el('div', { class: 'cluster-list-box', role: 'dialog', 'aria-label': heading.textContent ?? '' }, heading, list);
  box.append(el('p', { class: 'muted small', role: 'status' }, t('loading')));
  const popup = L.popup({ maxHeight: 280, minWidth: 220, autoPanPadding: [16, 16] })
    .setLatLng(at)
    .setContent(box)
    .openOn(map);
  const close = (): void => {
    map.closePopup(popup);
    returnTo?.focus();
  };
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      close();
    }
  });
  heading.focus();
  request(ENTERPRISE_NAMES, { ids })
    .then((data) => {
      box.querySelector('[role=status]')?.remove();
      for (const node of data.nodes) {
        if (node?.__typename !== 'Enterprise') continue;
        const b = el('button', { type: 'button', class: 'linkish', 'data-enterprise': node.id }, node.name);
        b.addEventListener('click', () => {
          map.closePopup(popup);
          open(node.id);
        });
        list.append(el('li', {}, b));
      }
      if (total > ids.length) box.append(el('p', { class: 'muted small' }, t('clusterMore', { n: formatNumber(ids.length) })));
      list.querySelector('button')?.focus();
    })
    .catch((err: unknown) => {
      const status = box.querySelector('[role=status]');
      if (status) status.textContent = t('loadFailed') + errorText(err);
    });
}
