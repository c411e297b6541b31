// The console's shell: sign-in, the header (who is signed in), the navigation
// and a small router over history.pushState. Each page is a module whose
// render(main, ctx) fills <main>; everything it shows comes from the public
// REST API with the person's credentials.
import { api, token, ApiError } from './api.js';
import { h, fill, field, refusal, busy } from './ui.js';
import * as timePage from './page-time.js';
import * as approvalsPage from './page-approvals.js';
import * as integrationsPage from './page-integrations.js';
import * as referencePage from './page-reference.js';

// The pages, in navigation order. `show` decides from GET /api/v1/me whether
// the link is offered; the API still decides what each call may do.
// The AI chat page (/time/chat, on /api/ai/chat) is to be added here, after Time.
const PAGES = [
  { path: '/time', title: 'Time', page: timePage },
  { path: '/time/approvals', title: 'Approvals', page: approvalsPage, show: (me) => me.permissions?.approve },
  { path: '/time/settings/integrations', title: 'Integrations', page: integrationsPage },
  { path: '/time/api', title: 'API reference', page: referencePage, public: true },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let me = null;

function pageFor(path) {
  if (path === '/' || path === '/time/') return PAGES[0];
  return PAGES.find((p) => p.path === path.replace(/\/$/, ''));
}

// Links inside the console move without reloading the page.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest?.('a[href^="/"]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target) return;
  const url = new URL(a.href);
  if (url.pathname !== '/' && !url.pathname.startsWith('/time')) return;
  ev.preventDefault();
  go(url.pathname + url.hash);
});
window.addEventListener('popstate', () => render());
window.addEventListener('workestra:unauthorized', () => {
  if (!token.get() || !me) return; // a token refused at sign-in is answered by the form itself
  token.clear();
  me = null;
  render('Your session has ended or the token was refused: sign in again.');
});

export function go(path) {
  history.pushState(null, '', path);
  render();
}

function renderNav(current) {
  const list = h('ul', {});
  for (const p of PAGES) {
    if (p.show && !p.show(me)) continue;
    list.append(h('li', {}, h('a', { href: p.path, 'aria-current': p === current ? 'page' : undefined }, p.title)));
  }
  fill(nav, list);
  nav.hidden = false;
}

function renderWho() {
  const signOut = h('button', { type: 'button', class: 'secondary', onclick: signOutNow }, 'Sign out');
  fill(who, h('span', { class: 'who-name' }, me.name || me.email), ' ', h('span', { class: 'badge', 'data-role': me.role }, me.role), ' ', signOut);
  who.hidden = false;
}

function signOutNow() {
  token.clear();
  me = null;
  history.pushState(null, '', '/time');
  render('You are signed out.');
}

function renderSignIn(message) {
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in · Workestra Time';
  // No name attribute: even if scripts failed, the form would not send the token anywhere.
  const { row, input } = field('Personal API token or session JWT',
    { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true },
    'Kept in this tab only (sessionStorage) and sent as a bearer token to this server\'s API.');
  const status = h('div', { class: 'status-slot' }, message ? h('p', { class: 'notice ok', role: 'status' }, message) : null);
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card narrow', method: 'post', 'aria-labelledby': 'signin-h' }, row, submit, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) return;
    token.set(t);
    await busy(submit, async () => {
      try {
        me = (await api('GET', '/api/v1/me')).data;
        input.value = '';
        render();
      } catch (e) {
        token.clear();
        fill(status, refusal(e));
        input.focus();
      }
    });
  });
  fill(main, h('h1', { id: 'signin-h', tabindex: '-1' }, 'Sign in'),
    h('p', {}, 'Paste a personal API token (', h('code', {}, 'workestra-time admin token create'), ') or a session JWT.'),
    form, h('p', {}, h('a', { href: '/time/api' }, 'API reference'), ' needs no sign-in.'));
  input.focus();
}

async function render(message) {
  const path = location.pathname;
  const entry = pageFor(path);
  if (!token.get()) {
    me = null;
    if (entry?.public) return show(entry, null);
    return renderSignIn(message);
  }
  if (!me) {
    try {
      me = (await api('GET', '/api/v1/me')).data;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return renderSignIn('That token was refused: sign in again.');
      fill(main, h('h1', { tabindex: '-1' }, 'Workestra Time'), refusal(e));
      return;
    }
  }
  renderWho();
  if (!entry) {
    renderNav(null);
    document.title = 'Not found · Workestra Time';
    fill(main, h('h1', { tabindex: '-1' }, 'No such page'),
      h('p', {}, 'The console has no page at ', h('code', {}, path), '. ', h('a', { href: '/time' }, 'Go to Time'), '.'));
    focusHeading();
    return;
  }
  return show(entry, message);
}

async function show(entry, message) {
  if (me) {
    renderNav(entry);
  } else {
    fill(nav, h('ul', {}, h('li', {}, h('a', { href: '/time' }, 'Sign in'))));
    nav.hidden = false;
  }
  document.title = `${entry.title} · Workestra Time`;
  fill(main, message ? h('p', { class: 'notice ok', role: 'status' }, message) : null);
  await entry.page.render(main, { me, go });
  focusHeading();
}

// After a page change the heading takes focus, so keyboard and screen reader
// users start at the new content.
function focusHeading() {
  const h1 = main.querySelector('h1');
  if (h1 && document.activeElement?.tagName !== 'INPUT') h1.focus();
  document.documentElement.dataset.ready = location.pathname;
}

render();
