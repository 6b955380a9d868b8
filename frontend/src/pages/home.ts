import { graphqlRequest } from '../api/graphql';

export const TOWNSHIP_SUMMARY_QUERY = /* GraphQL */ `
  {
    townships(first: 100) {
      totalCount
      edges {
        node {
          code
          name
          openIssueCount
        }
      }
    }
  }
`;

export interface TownshipSummaryRow {
  code: string;
  name: string;
  openIssueCount: number;
}

export interface TownshipSummaryData {
  townships: {
    totalCount: number;
    edges: Array<{ node: TownshipSummaryRow }>;
  };
}

/** Small helper: create an element, optionally with text (always via textContent). */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderIntro(): HTMLElement {
  const section = el('section', { 'aria-labelledby': 'intro-heading' });
  section.append(el('h2', { id: 'intro-heading' }, '即将上线'));
  section.append(el('p', {}, '企业服务地图看板即将上线：按乡镇查看诉求、预警与服务团覆盖情况。'));
  section.append(
    el(
      'p',
      { lang: 'en' },
      'The enterprise-service map dashboard is coming soon: issues, warnings and service-team coverage by township.',
    ),
  );
  const api = el('p');
  api.append('开发者可使用 ');
  api.append(el('a', { href: '/graphql' }, 'GraphQL 接口（GraphiQL）'));
  api.append('。');
  const apiEn = el('span', { lang: 'en' }, ' Developers: explore the API in GraphiQL at /graphql.');
  api.append(apiEn);
  section.append(api);
  return section;
}

function renderTable(data: TownshipSummaryData): HTMLTableElement {
  const table = el('table', { class: 'summary-table' });
  table.append(el('caption', {}, `共 ${data.townships.totalCount} 个乡镇/街道`));

  const thead = el('thead');
  const headRow = el('tr');
  headRow.append(el('th', { scope: 'col' }, '乡镇'));
  headRow.append(el('th', { scope: 'col', class: 'num' }, '未办结诉求'));
  thead.append(headRow);
  table.append(thead);

  const tbody = el('tbody');
  for (const { node } of data.townships.edges) {
    const row = el('tr', { 'data-code': node.code });
    row.append(el('th', { scope: 'row' }, node.name));
    row.append(el('td', { class: 'num' }, String(node.openIssueCount)));
    tbody.append(row);
  }
  table.append(tbody);
  return table;
}

/** Render the placeholder home page into `root` and load the live township summary. */
export async function renderHome(root: HTMLElement): Promise<void> {
  root.replaceChildren(renderIntro());

  const summary = el('section', { 'aria-labelledby': 'summary-heading', 'aria-busy': 'true' });
  summary.append(el('h2', { id: 'summary-heading' }, '各乡镇未办结诉求'));
  const status = el('p', { class: 'status', role: 'status' }, '正在加载…');
  summary.append(status);
  root.append(summary);

  try {
    const data = await graphqlRequest<TownshipSummaryData>(TOWNSHIP_SUMMARY_QUERY);
    if (data.townships.edges.length === 0) {
      status.textContent = '暂无乡镇数据。';
    } else {
      status.remove();
      summary.append(renderTable(data));
    }
  } catch (err) {
    status.remove();
    const alert = el('div', { role: 'alert', class: 'alert' });
    alert.append(el('strong', {}, '加载失败：'));
    alert.append(document.createTextNode(err instanceof Error ? err.message : String(err)));
    summary.append(alert);
  } finally {
    summary.setAttribute('aria-busy', 'false');
  }
}
