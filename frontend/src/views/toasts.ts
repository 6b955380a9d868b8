/** A polite live region that shows a short message for a few seconds (errors styled as such). */
import { el } from '../ui/dom';

export class Toasts {
  readonly root = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  private timer = 0;

  show(text: string, isError = false): void {
    this.root.textContent = text;
    this.root.className = `toast show${isError ? ' error' : ''}`;
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.root.className = 'toast';
    }, 4000);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
