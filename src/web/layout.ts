import type { Actor } from '../services/actor.ts';
import { isBrandAdmin } from '../services/actor.ts';
import { html, type Html } from './html.ts';

export interface PageOptions {
  title: string;
  actor?: Actor | undefined;
  csrfToken?: string;
  /** Which top navigation entry is current (its href). */
  current?: string;
  body: Html;
}

function nav(actor: Actor | undefined, current: string | undefined, csrfToken: string | undefined): Html {
  if (!actor) return html``;
  const links: Array<[string, string]> = [
    ['/account/ids', 'Qualtrics IDs'],
    ['/surveys', 'Surveys'],
    ['/contacts', 'Contacts'],
    ['/messages', 'Messages'],
    ['/subscriptions', 'Webhooks'],
  ];
  if (isBrandAdmin(actor)) links.push(['/admin/users', 'Users'], ['/admin/divisions', 'Divisions'], ['/admin/groups', 'Groups']);
  links.push(['/WRAPI/ControlPanel/docs.php', 'API reference']);
  return html`<nav aria-label="Main"><ul>
    ${links.map(([href, label]) => html`<li><a href="${href}"${current === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}
  </ul>
  <form method="post" action="/logout" class="signout"><input type="hidden" name="_csrf" value="${csrfToken ?? ''}"><span class="who">${actor.username}</span> <button type="submit">Sign out</button></form>
  </nav>`;
}

/** The frame of every signed-in or public page: skip link, header, main landmark. */
export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Insight</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/">Insight</a>${nav(o.actor, o.current, o.csrfToken)}</header>
<main id="main" tabindex="-1">
${o.body}
</main>
</body>
</html>`;
}
