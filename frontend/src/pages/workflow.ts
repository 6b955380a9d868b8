/** Workflow action forms: user errors next to their field, a clear message on a version conflict. */
import { request } from '../api/client';
import {
  type AcceptDispatchInput,
  type AddIssueNoteInput,
  type ConfirmIssueInput,
  type DecideExtensionInput,
  type DispatchIssueInput,
  type EscalateIssueInput,
  IssueAction,
  IssueCategory,
  IssuePriority,
  IssueSource,
  type IssueStatus,
  type ReopenIssueInput,
  type ReportIssueInput,
  type RequestExtensionInput,
  type ResolveIssueInput,
  type ReturnDispatchInput,
  Satisfaction,
} from '../api/generated/graphql';
import {
  ACCEPT_DISPATCH,
  ADD_ISSUE_NOTE,
  CONFIRM_ISSUE,
  DECIDE_EXTENSION,
  DISPATCH_ISSUE,
  ESCALATE_ISSUE,
  RECORD_VISIT,
  REOPEN_ISSUE,
  REPORT_ISSUE,
  REQUEST_EXTENSION,
  RESOLVE_ISSUE,
  RETURN_DISPATCH,
} from '../api/issues';
import type { TeamRef } from '../api/teams';
import { enumLabel, getLang, type Key, t } from '../i18n';
import { userErrorText } from '../i18n/userErrors';
import { el } from '../ui/dom';
import { errorText } from '../views/errors';

export interface UserError {
  field?: string | null | undefined;
  code: string;
  message: string;
}

/** The fields a form fills in; `base` (ids, version) is added by the caller. */
interface FieldSpec<Name extends string> {
  name: Name;
  label: Key;
  kind: 'text' | 'textarea' | 'select' | 'datetime' | 'date';
  required?: boolean;
  /** The value the field starts with. */
  initial?: () => string;
  options?: () => Array<[string, string]>;
}

export interface ActionSpec {
  key: string;
  label: Key;
  /** The issue action it takes: offered only when the issue's viewerActions list it (the server's rules). */
  action?: IssueAction;
  fields: Array<FieldSpec<string>>;
  /** Sends an `idempotencyKey`: a retry or a double submit of the same input makes one issue, not two. */
  idempotent?: boolean;
  send(input: Record<string, unknown>): Promise<{ userErrors: UserError[] }>;
}

/**
 * An action whose field names are checked against its mutation's input type (generated from
 * schema.graphql), so a renamed input field fails the type check instead of the form.
 */
function action<Input>(
  spec: Omit<ActionSpec, 'fields' | 'send'> & {
    fields: Array<FieldSpec<keyof Input & string>>;
    send(input: Input): Promise<{ userErrors: UserError[] }>;
  },
): ActionSpec {
  return { ...spec, send: (input) => spec.send(input as Input) };
}

const options = (values: Record<string, string>) => (): Array<[string, string]> => Object.values(values).map((v) => [v, enumLabel(v)]);
const teamOptions = (teams: () => TeamRef[]) => (): Array<[string, string]> => teams().map((x) => [x.id, x.name]);

export function actionsFor(teams: () => TeamRef[]): ActionSpec[] {
  return [
    action<DispatchIssueInput>({
      key: 'dispatch',
      label: 'a_dispatch',
      action: IssueAction.Dispatch,
      fields: [
        { name: 'leadTeamId', label: 'f_leadTeam', kind: 'select', required: true, options: teamOptions(teams) },
        { name: 'dueOn', label: 'f_dispatchDueOn', kind: 'date' },
        { name: 'instruction', label: 'f_instruction', kind: 'textarea' },
      ],
      send: async (input) => (await request(DISPATCH_ISSUE, { input })).dispatchIssue,
    }),
    action<AcceptDispatchInput>({
      key: 'accept',
      label: 'a_accept',
      action: IssueAction.Accept,
      fields: [{ name: 'note', label: 'f_note', kind: 'text' }],
      send: async (input) => (await request(ACCEPT_DISPATCH, { input })).acceptDispatch,
    }),
    action<ReturnDispatchInput>({
      key: 'return',
      label: 'a_return',
      action: IssueAction.Return,
      fields: [{ name: 'reason', label: 'f_reason', kind: 'textarea', required: true }],
      send: async (input) => (await request(RETURN_DISPATCH, { input })).returnDispatch,
    }),
    action<ResolveIssueInput>({
      key: 'resolve',
      label: 'a_resolve',
      action: IssueAction.Resolve,
      fields: [{ name: 'summary', label: 'f_summary', kind: 'textarea', required: true }],
      send: async (input) => (await request(RESOLVE_ISSUE, { input })).resolveIssue,
    }),
    action<RequestExtensionInput>({
      key: 'extension',
      label: 'a_extension',
      action: IssueAction.RequestExtension,
      fields: [
        { name: 'requestedDeadline', label: 'f_deadline', kind: 'datetime', required: true },
        { name: 'reason', label: 'f_reason', kind: 'textarea', required: true },
      ],
      send: async (input) => (await request(REQUEST_EXTENSION, { input })).requestExtension,
    }),
    action<ConfirmIssueInput>({
      key: 'confirm',
      label: 'a_confirm',
      action: IssueAction.Confirm,
      fields: [
        { name: 'satisfaction', label: 'f_satisfaction', kind: 'select', required: true, options: options(Satisfaction) },
        { name: 'comment', label: 'f_comment', kind: 'textarea' },
      ],
      send: async (input) => (await request(CONFIRM_ISSUE, { input })).confirmIssue,
    }),
    action<ReopenIssueInput>({
      key: 'reopen',
      label: 'a_reopen',
      action: IssueAction.Reopen,
      fields: [{ name: 'reason', label: 'f_reason', kind: 'textarea', required: true }],
      send: async (input) => (await request(REOPEN_ISSUE, { input })).reopenIssue,
    }),
    action<EscalateIssueInput>({
      key: 'escalate',
      label: 'a_escalate',
      action: IssueAction.Escalate,
      fields: [{ name: 'reason', label: 'f_escalateReason', kind: 'textarea', required: true }],
      send: async (input) => (await request(ESCALATE_ISSUE, { input })).escalateIssue,
    }),
    action<AddIssueNoteInput>({
      key: 'note',
      label: 'a_note',
      action: IssueAction.AddNote,
      fields: [{ name: 'note', label: 'f_note', kind: 'textarea', required: true }],
      send: async (input) => (await request(ADD_ISSUE_NOTE, { input })).addIssueNote,
    }),
  ];
}

/** "2026-11-30T17:00" typed in the county's local time → ISO with the +08:00 offset. */
export function localToIso(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00+08:00` : value;
}

/** The required fields left empty (or only spaces), in the form's order. */
export function missingRequired(fields: ReadonlyArray<{ name: string; required?: boolean }>, value: (name: string) => string): string[] {
  return fields.filter((f) => f.required && value(f.name).trim() === '').map((f) => f.name);
}

/** Split user errors into those that belong to a known field and the rest (shown for the form). */
export function placeErrors(errors: UserError[], fields: string[]): { byField: Map<string, string[]>; general: UserError[] } {
  const byField = new Map<string, string[]>();
  const general: UserError[] = [];
  for (const e of errors) {
    const f = e.field?.replace(/^input\./, '') ?? null;
    if (f && fields.includes(f) && e.code !== 'CONFLICT') byField.set(f, [...(byField.get(f) ?? []), userErrorText(e, getLang(), 'field')]);
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

export interface IssueRef {
  id: string;
  version: number;
  status: IssueStatus;
  number: string;
  /** What the signed-in person may do now (the server's permission and workflow rules). */
  viewerActions: readonly IssueAction[];
  pendingExtensionRequest?: { id: string } | null;
}

/** One disclosure per action available in the issue's status. */
export function renderActions(issue: IssueRef, specs: ActionSpec[], onDone: () => void, onReload: () => void): HTMLElement {
  const wrap = el('div', { class: 'actions' });
  const may = new Set(issue.viewerActions);
  for (const spec of specs.filter((x) => x.action && may.has(x.action))) {
    wrap.append(renderForm(spec, { issueId: issue.id, version: issue.version }, onDone, onReload));
  }
  const pending = issue.pendingExtensionRequest;
  if (pending && may.has(IssueAction.DecideExtension)) {
    wrap.append(renderForm(decideExtensionSpec(), { extensionRequestId: pending.id, version: issue.version }, onDone, onReload));
  }
  return wrap;
}

/** The dispatcher's decision on a pending extension request: approve (the deadline moves) or reject. */
export function decideExtensionSpec(): ActionSpec {
  return action<Omit<DecideExtensionInput, 'approve'> & { approve: 'true' | 'false' }>({
    key: 'decide-extension',
    label: 'a_decideExtension',
    fields: [
      {
        name: 'approve',
        label: 'f_decision',
        kind: 'select',
        required: true,
        options: () => [
          ['true', t('approve')],
          ['false', t('reject')],
        ],
      },
      { name: 'note', label: 'f_note', kind: 'textarea' },
    ],
    send: async ({ approve, ...rest }) =>
      (await request(DECIDE_EXTENSION, { input: { ...rest, approve: approve === 'true' } })).decideExtension,
  });
}

export function reportSpec(): ActionSpec {
  return action<ReportIssueInput>({
    key: 'report',
    label: 'a_report',
    idempotent: true,
    fields: [
      { name: 'category', label: 'category', kind: 'select', required: true, options: options(IssueCategory) },
      { name: 'title', label: 'title', kind: 'text', required: true },
      { name: 'source', label: 'f_source', kind: 'select', required: true, options: options(IssueSource) },
      { name: 'priority', label: 'priority', kind: 'select', options: options(IssuePriority) },
      { name: 'description', label: 'f_description', kind: 'textarea' },
    ],
    send: async (input) => (await request(REPORT_ISSUE, { input })).reportIssue,
  });
}

/** Today in the county (Asia/Shanghai) as YYYY-MM-DD, whatever the device's time zone. */
export function countyToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The visit form's fields: the visit, and optionally one issue raised during it. */
interface VisitForm {
  visitedOn: string;
  teamId?: string;
  notes?: string;
  issueCategory?: IssueCategory;
  issueTitle?: string;
}

/** Record a visit (走访) to the enterprise, with an issue raised during it if one was. */
export function visitSpec(teams: () => TeamRef[]): ActionSpec {
  return action<VisitForm & { enterpriseId: string }>({
    key: 'visit',
    label: 'a_visit',
    fields: [
      { name: 'visitedOn', label: 'f_visitedOn', kind: 'date', required: true, initial: () => countyToday() },
      { name: 'teamId', label: 'f_visitTeam', kind: 'select', options: teamOptions(teams) },
      { name: 'notes', label: 'f_visitNotes', kind: 'textarea' },
      { name: 'issueCategory', label: 'f_visitIssueCategory', kind: 'select', options: options(IssueCategory) },
      { name: 'issueTitle', label: 'f_visitIssueTitle', kind: 'text' },
    ],
    send: async ({ issueCategory, issueTitle, ...visit }) => {
      const issues = issueTitle || issueCategory ? [{ category: issueCategory as IssueCategory, title: issueTitle ?? '' }] : [];
      const payload = (await request(RECORD_VISIT, { input: { ...visit, issues } })).recordVisit;
      // The raised issue's errors name `issues[0].title`: they belong next to this form's fields.
      const userErrors = payload.userErrors.map((e) => ({
        ...e,
        field:
          e.field?.replace(/^(input\.)?issues\[0\]\.(\w+)$/, (_m, _p, f: string) => `issue${f[0]!.toUpperCase()}${f.slice(1)}`) ?? null,
      }));
      return { userErrors };
    },
  });
}

/** A disclosure with one mutation form; `base` is merged into the input (ids, version). */
export function renderForm(spec: ActionSpec, base: Record<string, unknown>, onDone: () => void, onReload: () => void): HTMLElement {
  const id = `f${++formSeq}`;
  const details = el('details', { class: 'action', 'data-action': spec.key });
  details.append(el('summary', {}, t(spec.label)));
  const form = el('form', { novalidate: '', 'aria-describedby': `${id}-status` });
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>();
  const errorSlots = new Map<string, HTMLElement>();
  let attempt: { body: string; key: string } | null = null;
  for (const field of spec.fields) {
    const fid = `${id}-${field.name}`;
    const label = el(
      'label',
      { for: fid },
      t(field.label),
      field.required ? el('span', { 'aria-hidden': 'true', class: 'req' }, ' *') : null,
    );
    let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (field.kind === 'textarea') input = el('textarea', { id: fid, name: field.name, rows: '2' });
    else if (field.kind === 'select') {
      input = el('select', { id: fid, name: field.name });
      input.append(el('option', { value: '' }, '—'));
      for (const [v, l] of field.options?.() ?? []) input.append(el('option', { value: v }, l));
    } else {
      const type = field.kind === 'datetime' ? 'datetime-local' : field.kind === 'date' ? 'date' : 'text';
      input = el('input', { id: fid, name: field.name, type });
    }
    if (field.initial) input.value = field.initial();
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
      // Required fields are checked here first: nothing is sent while one is empty.
      const missing = missingRequired(spec.fields, (name) => inputs.get(name)!.value);
      for (const name of missing) {
        errorSlots.get(name)!.textContent = t('fieldRequired');
        inputs.get(name)!.setAttribute('aria-invalid', 'true');
      }
      if (missing.length) {
        inputs.get(missing[0]!)!.focus();
        return;
      }
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
        const payload = await spec.send(input);
        if (payload.userErrors.length) {
          const { byField, general } = placeErrors(
            payload.userErrors,
            spec.fields.map((f) => f.name),
          );
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
            } else status.append(general.map((e) => userErrorText(e, getLang())).join(' '));
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
        status.textContent = errorText(err);
      } finally {
        submit.disabled = false;
      }
    })();
  });
  details.append(form);
  return details;
}
