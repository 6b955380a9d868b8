/**
 * What a mutation's user error says to a person, in their language: by its code (schema.graphql's
 * UserErrorCode), the server's English message being the fallback for a code not known here and
 * the detail of INVALID.
 */
import type { UserErrorCode } from '../api/generated/graphql';
import type { Lang } from '../state/url';

interface Text {
  /** Next to the field it names. */
  field: string;
  /** For the whole form (no field, or a field the form does not show). */
  form: string;
}

// Typed by the schema's enum: a code added to UserErrorCode fails the type check until it is translated.
const ZH: Record<UserErrorCode, Text> = {
  REQUIRED: { field: '必填', form: '有必填项未填' },
  TOO_LONG: { field: '内容太长', form: '有内容太长' },
  TOO_MANY: { field: '选的太多', form: '选的条目太多' },
  NOT_A_GLOBAL_ID: { field: '请从列表中选择', form: '所选对象无效，请刷新后重试' },
  WRONG_ID_TYPE: { field: '请从列表中选择', form: '所选对象类型不对，请刷新后重试' },
  OUT_OF_RANGE: { field: '超出允许的范围（例如时间已过）', form: '有数值超出允许的范围' },
  NOT_A_WORKING_DAY: { field: '不是工作日（周末或法定节假日）', form: '所选日期不是工作日' },
  DUPLICATE: { field: '已存在', form: '已有相同的申请在等待处理' },
  INVALID: { field: '填写有误', form: '填写有误' },
  NOT_FOUND: { field: '找不到（可能已被删除，或无权查看）', form: '找不到该对象（可能已被删除，或无权查看）' },
  UNAUTHENTICATED: { field: '请先登录', form: '请先登录' },
  FORBIDDEN: { field: '当前账号无权进行此操作', form: '当前账号无权进行此操作' },
  ILLEGAL_TRANSITION: { field: '当前状态下不能进行此操作', form: '诉求当前的状态不允许此操作，请刷新后查看' },
  CONFLICT: { field: '其他人已修改，请刷新', form: '其他人已修改此诉求，请刷新后再试' },
  IDEMPOTENCY_KEY_REUSED: { field: '重复提交', form: '重复提交了不同的内容，请刷新后重试' },
  THROTTLED: { field: '尝试次数过多', form: '尝试次数过多，请稍后再试' },
};

const EN: Record<UserErrorCode, Text> = {
  REQUIRED: { field: 'Required', form: 'A required field is empty' },
  TOO_LONG: { field: 'Too long', form: 'A text is too long' },
  TOO_MANY: { field: 'Too many values', form: 'Too many values chosen' },
  NOT_A_GLOBAL_ID: { field: 'Choose from the list', form: 'What was chosen is not valid: reload and try again' },
  WRONG_ID_TYPE: { field: 'Choose from the list', form: 'What was chosen is of the wrong kind: reload and try again' },
  OUT_OF_RANGE: { field: 'Out of range (e.g. a time in the past)', form: 'A value is out of range' },
  NOT_A_WORKING_DAY: { field: 'Not a working day (weekend or public holiday)', form: 'The day is not a working day' },
  DUPLICATE: { field: 'Already exists', form: 'An equal request is already waiting' },
  INVALID: { field: 'Not valid', form: 'Not valid' },
  NOT_FOUND: { field: 'Not found (deleted, or not yours to see)', form: 'Not found (deleted, or not yours to see)' },
  UNAUTHENTICATED: { field: 'Sign in first', form: 'Sign in first' },
  FORBIDDEN: { field: 'Your roles do not allow this', form: 'Your roles do not allow this' },
  ILLEGAL_TRANSITION: { field: 'Not possible in the current status', form: "The issue's status does not allow this now: reload to see it" },
  CONFLICT: { field: 'Changed by someone else: reload', form: 'Someone else changed this issue: reload and try again' },
  IDEMPOTENCY_KEY_REUSED: { field: 'Submitted twice', form: 'Different input was submitted twice: reload and try again' },
  THROTTLED: { field: 'Too many attempts', form: 'Too many attempts: wait, then try again' },
};

export interface CodedError {
  code: string;
  message: string;
}

/** The error's text next to a field (`where` = 'field') or for the whole form. */
export function userErrorText(e: CodedError, lang: Lang, where: keyof Text = 'form'): string {
  const text = (lang === 'en' ? EN : ZH)[e.code as UserErrorCode]?.[where];
  if (!text) return e.message;
  // INVALID's reason is only in the server's words; in Chinese it follows, marked as English.
  if (e.code === 'INVALID' && lang !== 'en') return `${text}（${e.message}）`;
  if (e.code === 'INVALID') return e.message;
  return text;
}
