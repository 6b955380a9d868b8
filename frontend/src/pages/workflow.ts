/** Workflow action forms: user errors next to their field, a clear message on a version conflict. */
import { graphqlRequest, GraphQLRequestError } from '../api/graphql';
import { ISSUE_FIELDS, type TeamRef } from '../api/queries';
import { enumLabel, t, type Key } from '../i18n';
import { CATEGORIES } from '../state/url';
import { el } from '../ui/dom';

export interface UserError { field: string | null; code: string; message: string }

interface FieldSpec {
  name: string;
  label: Key;
  kind: 'text' | 'textarea' | 'select' | 'datetime';
  required?: boolean;
  options?: () => Array<[string, string]>;
}

interface ActionSpec {
  key: string;
  label: Key;
  mutation: string;
  input: string;
  statuses: string[];
  fields: FieldSpec[];
  /** Sends an `idempotencyKey`: a retry or a double submit of the same input makes one issue, not two. */
  idempotent?: boolean;
}

const OPEN = ['REPORTED', 'DISPATCHED', 'IN_PROGRESS', 'RETURNED', 'REOPENED'];

export function actionsFor(teams: () => TeamRef[]): ActionSpec[] {
  return [
    { key: 'dispatch', label: 'a_dispatch', mutation: 'dispatchIssue', input: 'DispatchIssueInput', statuses: ['REPORTED', 'RETURNED'],
      fields: [
        { name: 'leadTeamId', label: 'f_leadTeam', kind: 'select', required: true, options: () => teams().map((x) => [x.id, x.name]) },
        { name: 'instruction', label: 'f_instruction', kind: 'textarea' },
      ] },
    { key: 'accept', label: 'a_accept', mutation: 'acceptDispatch', input: 'AcceptDispatchInput', statuses: ['DISPATCHED'],
      fields: [{ name: 'note', label: 'f_note', kind: 'text' }] },
    { key: 'return', label: 'a_return', mutation: 'returnDispatch', input: 'ReturnDispatchInput', statuses: ['DISPATCHED'],
      fields: [{ name: 'reason', label: 'f_reason', kind: 'textarea', required: true }] },
    { key: 'resolve', label: 'a_resolve', mutation: 'resolveIssue', input: 'ResolveIssueInput', statuses: ['IN_PROGRESS', 'REOPENED'],
      fields: [{ name: 'summary', label: 'f_summary', kind: 'textarea', required: true }] },
    { key: 'extension', label: 'a_extension', mutation: 'requestExtension', input: 'RequestExtensionInput', statuses: ['DISPATCHED', 'IN_PROGRESS', 'REOPENED'],
      fields: [
        { name: 'requestedDeadline', label: 'f_deadline', kind: 'datetime', required: true },
        { name: 'reason', label: 'f_reason', kind: 'textarea', required: true },
      ] },
    { key: 'confirm', label: 'a_confirm', mutation: 'confirmIssue', input: 'ConfirmIssueInput', statuses: ['RESOLVED'],
      fields: [
        { name: 'satisfaction', label: 'f_satisfaction', kind: 'select', required: true,
          options: () => ['SATISFIED', 'BASICALLY_SATISFIED', 'UNSATISFIED'].map((s) => [s, enumLabel(s)]) },
        { name: 'comment', label: 'f_comment', kind: 'textarea' },
      ] },
    { key: 'reopen', label: 'a_reopen', mutation: 'reopenIssue', input: 'ReopenIssueInput', statuses: ['RESOLVED', 'CLOSED'],
      fields: [{ name: 'reason', label: 'f_reason', kind: 'textarea', required: true }] },
    { key: 'note', label: 'a_note', mutation: 'addIssueNote', input: 'AddIssueNoteInput', statuses: [...OPEN, 'RESOLVED', 'CLOSED'],
      fields: [{ name: 'note', label: 'f_note', kind: 'textarea', required: true }] },
  ];
}

/** "2026-11-30T17:00" typed in the county's local time → ISO with the +08:00 offset. */
export function localToIso(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00+08:00` : value;
}

/** Split user errors into those that belong to a known field and the rest (shown for the form). */
export function placeErrors(errors: UserError[], fields: string[]): { byField: Map<string, string[]>; general: UserError[] } {
  const byField = new Map<string, string[]>();
  const general: UserError[] = [];
  for (const e of errors) {
    const f = e.field?.replace(/^input\./, '') ?? null;
    if (f && fields.includes(f) && e.code !== 'CONFLICT') byField.set(f, [...(byField.get(f) ?? []), e.message]);
    else general.push(e);
  }
  return { byField, general };
}

let formSeq = 0;

/** A fresh idempotency key (crypto.randomUUID needs a secure context; a plain-HTTP office server is not one). */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The key for submitting `input`: the previous attempt's while the input is the same (a retry the
 * server may already have stored), a new one once the input changed.
 */
export function keyFor(previous: { body: string; key: string } | null, input: Record<string, unknown>): { body: string; key: string } {
  const body = JSON.stringify(input);
  return previous?.body === body ? previous : { body, key: newIdempotencyKey() };
}

export interface IssueRef { id: string; version: number; status: string; number: string }

/** One disclosure per action available in the issue's status. */
export function renderActions(
  issue: IssueRef,
  specs: ActionSpec[],
  onDone: () => void,
  onReload: () => void,
): HTMLElement {
  const wrap = el('div', { class: 'actions' });
  for (const spec of specs.filter((x) => x.statuses.includes(issue.status))) {
    wrap.append(renderForm(spec, { issueId: issue.id, version: issue.version }, onDone, onReload));
  }
  return wrap;
}

export function reportSpec(): ActionSpec {
  return {
    key: 'report', label: 'a_report', mutation: 'reportIssue', input: 'ReportIssueInput', statuses: [], idempotent: true,
    fields: [
      { name: 'category', label: 'category', kind: 'select', required: true, options: () => CATEGORIES.map((c) => [c, enumLabel(c)]) },
      { name: 'title', label: 'title', kind: 'text', required: true },
      { name: 'source', label: 'f_source', kind: 'select', required: true,
        options: () => ['VISIT', 'HOTLINE', 'ONLINE', 'COMMISSIONER'].map((x) => [x, enumLabel(x)]) },
      { name: 'priority', label: 'priority', kind: 'select',
        options: () => ['NORMAL', 'URGENT', 'COMPLEX'].map((x) => [x, enumLabel(x)]) },
      { name: 'description', label: 'f_description', kind: 'textarea' },
    ],
  };
}

/** A disclosure with one mutation form; `base` is merged into the input (ids, version). */
export function renderForm(
  spec: ActionSpec,
  base: Record<string, unknown>,
  onDone: () => void,
  onReload: () => void,
): HTMLElement {
  {
    const id = `f${++formSeq}`;
    const details = el('details', { class: 'action', 'data-action': spec.key });
    details.append(el('summary', {}, t(spec.label)));
    const form = el('form', { novalidate: '', 'aria-describedby': `${id}-status` });
    const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
    const errorSlots = new Map<string, HTMLElement>();
    let attempt: { body: string; key: string } | null = null;
    for (const field of spec.fields) {
      const fid = `${id}-${field.name}`;
      const label = el('label', { for: fid }, t(field.label), field.required ? el('span', { 'aria-hidden': 'true', class: 'req' }, ' *') : null);
      let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
      if (field.kind === 'textarea') input = el('textarea', { id: fid, name: field.name, rows: '2' });
      else if (field.kind === 'select') {
        input = el('select', { id: fid, name: field.name });
        input.append(el('option', { value: '' }, '—'));
        for (const [v, l] of field.options?.() ?? []) input.append(el('option', { value: v }, l));
      } else input = el('input', { id: fid, name: field.name, type: field.kind === 'datetime' ? 'datetime-local' : 'text' });
      if (field.required) input.setAttribute('aria-required', 'true');
      const err = el('p', { id: `${fid}-err`, class: 'field-error', 'aria-live': 'polite' });
      input.setAttribute('aria-describedby', `${fid}-err`);
      inputs.set(field.name, input);
      errorSlots.set(field.name, err);
      form.append(el('div', { class: 'field' }, label, input, err));
    }
    const status = el('div', { id: `${id}-status`, class: 'form-status', role: 'status' });
    const submit = el('button', { type: 'submit', class: 'btn primary' }, t(spec.label));
    form.append(el('div', { class: 'form-row' }, submit), status);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        for (const [name, slot] of errorSlots) {
          slot.textContent = '';
          inputs.get(name)?.removeAttribute('aria-invalid');
        }
        status.replaceChildren();
        status.className = 'form-status';
        const input: Record<string, unknown> = { ...base };
        for (const field of spec.fields) {
          const v = inputs.get(field.name)!.value;
          if (v === '' && !field.required) continue;
          input[field.name] = field.kind === 'datetime' ? localToIso(v) : v;
        }
        if (spec.idempotent) {
          attempt = keyFor(attempt, input);
          input.idempotencyKey = attempt.key;
        }
        submit.disabled = true;
        try {
          const q = `mutation Act($input: ${spec.input}!) { ${spec.mutation}(input: $input) { issue { ${ISSUE_FIELDS} } userErrors { field code message } } }`;
          const data = await graphqlRequest<Record<string, { issue: unknown; userErrors: UserError[] }>, Record<string, unknown>>(q, { input });
          const payload = data[spec.mutation]!;
          if (payload.userErrors.length) {
            const { byField, general } = placeErrors(payload.userErrors, spec.fields.map((f) => f.name));
            for (const [name, msgs] of byField) {
              errorSlots.get(name)!.textContent = msgs.join(' ');
              inputs.get(name)!.setAttribute('aria-invalid', 'true');
            }
            if (general.length) {
              status.className = 'form-status alert';
              status.setAttribute('role', 'alert');
              if (general.some((e) => e.code === 'CONFLICT')) {
                status.append(el('strong', {}, t('conflict')), ' ');
                const reload = el('button', { type: 'button', class: 'btn' }, t('reload'));
                reload.addEventListener('click', onReload);
                status.append(reload);
              } else status.append(general.map((e) => e.message).join(' '));
            }
            const firstBad = [...inputs.entries()].find(([n]) => byField.has(n));
            firstBad?.[1].focus();
          } else {
            attempt = null; // done: the next report is another one, even with the same text
            status.className = 'form-status ok';
            status.textContent = t('done');
            onDone();
          }
        } catch (err) {
          status.className = 'form-status alert';
          status.textContent = err instanceof GraphQLRequestError ? err.message : String(err);
        } finally {
          submit.disabled = false;
        }
      })();
    });
    details.append(form);
    return details;
  }
}
