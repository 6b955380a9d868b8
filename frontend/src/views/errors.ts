/** Error messages for people: a refusal gets a plain sentence in their language, not the server's. */
import { isForbidden } from '../api/graphql';
import { t } from '../i18n';

export function errorText(err: unknown): string {
  if (isForbidden(err)) return t('forbidden');
  return err instanceof Error ? err.message : String(err);
}
