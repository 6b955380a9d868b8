// Boots GraphiQL at /graphql (backend/yimi/graphql/graphiql.html) from this server's own copies of
// React, ReactDOM and GraphiQL: no CDN, no inline script (the page's CSP allows 'self' only).
// Every HTTP request carries `X-Yimi-CSRF: 1` and the session cookie, so signIn and the other
// mutations work as in the web app; subscriptions go over graphql-transport-ws on the same URL.
(function () {
  'use strict';

  var url = window.location.origin + window.location.pathname;
  var subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = subscriptionUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: subscriptionUrl.toString(),
    headers: { 'X-Yimi-CSRF': '1' },
    fetch: function (input, init) {
      return window.fetch(input, Object.assign({}, init, { credentials: 'same-origin' }));
    },
  });

  var DEFAULT_QUERY = [
    '# Yimi GraphQL. Ctrl-Enter runs the query; Ctrl-Space completes.',
    '# Signing in (the session is a cookie; this page sends X-Yimi-CSRF: 1 by itself):',
    '#   mutation { signIn(input: {username: "staff003", password: "…"}) { staff { name } userErrors { message } } }',
    '',
    '{ me { name roles } }',
    '',
  ].join('\n');

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    }),
  );
})();
