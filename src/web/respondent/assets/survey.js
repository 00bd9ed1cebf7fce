// Survey page enhancements. The page works without this file: every control posts as plain HTML.
// This adds: pages posted and shown in place (one round trip per page instead of post, redirect and
// load), one submit per page, exclusive choices, slider tracks, drag/move ranking, constant-sum
// totals, Timing click figures and the screen resolution for Meta questions. No framework, no inline
// code (the page's CSP forbids it); field names are documented in src/web/respondent/form.ts, the
// in-place protocol in src/web/respondent/routes.ts.
(function () {
  'use strict';
  // The page on screen: enhance() sets these again for each page shown in place.
  var started = Date.now();
  var form = null;
  var timingFields = [];
  var timingState = { first: '', last: '', clicks: 0 };

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function seconds() {
    return ((Date.now() - started) / 1000).toFixed(3);
  }

  function uid(prefix) {
    uid.n = (uid.n || 0) + 1;
    return prefix + '-js-' + uid.n;
  }

  // A view id on the root element, new for every page shown (tests wait on it; nothing else reads it).
  function markView() {
    uid.views = (uid.views || 0) + 1;
    document.documentElement.setAttribute('data-sv-view', started + '-' + uid.views);
  }

  var canInline = !!(window.fetch && window.URL && window.DOMParser && window.FormData && window.URLSearchParams && window.history && history.pushState);

  // The form's entries as a urlencoded body, as the browser would post them (line breaks as CRLF).
  function encoded(target, submitter) {
    var body = new URLSearchParams();
    var crlf = function (v) {
      return String(v).replace(/\r\n|\r|\n/g, '\r\n');
    };
    new FormData(target).forEach(function (value, name) {
      if (typeof value === 'string') body.append(crlf(name), crlf(value));
    });
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    return body;
  }

  // Shows a page the server answered in place: its title and body replace ours, then it is enhanced
  // as a loaded page would be, and focus moves to its top so a screen reader starts reading there.
  function show(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    // An entry per page, as when each page was a load of its own: the browser's Back stays on the
    // survey's one address, which shows the session's current page (the one on screen).
    history.pushState({ sv: true }, '', location.href);
    window.scrollTo(0, 0);
    started = Date.now();
    enhance(true);
  }

  // The post without script's help (the in-place post failed on the way): the browser's own.
  function postNatively(target, submitter) {
    if (submitter && submitter.name) {
      var keep = document.createElement('input');
      keep.type = 'hidden';
      keep.name = submitter.name;
      keep.value = submitter.value;
      target.appendChild(keep);
    }
    HTMLFormElement.prototype.submit.call(target);
  }

  function postInPlace(target, submitter) {
    // Not target.action: the submit buttons are named "action", which shadows the form's property.
    var url = new URL(target.getAttribute('action') || '', window.location.href).href;
    fetch(url, {
      method: 'POST',
      body: encoded(target, submitter),
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { 'X-Insight-Inline': '1' },
    })
      .then(function (res) {
        var to = res.headers.get('X-Insight-Location');
        if (to) return { to: to };
        if (res.type === 'opaqueredirect' || (res.headers.get('Content-Type') || '').indexOf('text/html') !== 0) {
          throw new Error('not a page');
        }
        return res.text().then(function (html) {
          return { html: html };
        });
      })
      // Only a post that did not come back as a page falls back to the browser's own; the answer,
      // once here, is shown (or followed) whatever happens after.
      .then(
        function (answer) {
          if (answer.to) window.location.assign(answer.to);
          else show(answer.html);
        },
        function () {
          postNatively(target, submitter);
        }
      );
  }

  // One post per page view: a second click while the first post is on its way does nothing.
  var sending = false;
  function guardSubmit() {
    var target = form;
    sending = false;
    target.addEventListener('submit', function (e) {
      if (sending) {
        e.preventDefault();
        return;
      }
      sending = true;
      target.classList.add('sv-sending');
      if (!canInline) return;
      e.preventDefault();
      var active = document.activeElement;
      var submitter = e.submitter || (active && active.type === 'submit' && target.contains(active) ? active : null);
      postInPlace(target, submitter);
    });
  }

  // A page restored from the back/forward cache may be posted again.
  window.addEventListener('pageshow', function () {
    sending = false;
    if (form) form.classList.remove('sv-sending');
  });

  // Choosing an exclusive choice ("None of the above", N/A) clears the others of its group and back.
  function exclusives() {
    form.addEventListener('change', function (e) {
      var t = e.target;
      if (t.type !== 'checkbox' || !t.checked) return;
      var mine = t.classList.contains('sv-excl');
      each(form, 'input[type=checkbox]', function (other) {
        if (other === t || other.name !== t.name) return;
        if (mine || other.classList.contains('sv-excl')) other.checked = false;
      });
    });
  }

  // Clicks anywhere on the page count, as Qualtrics counts them; one listener serves every page.
  function timing() {
    timingFields = form.querySelectorAll('input.sv-timing');
    timingState = { first: '', last: '', clicks: 0 };
  }

  document.addEventListener('click', function () {
    if (timingFields.length === 0) return;
    var t = timingState;
    t.clicks += 1;
    t.last = seconds();
    if (t.first === '') t.first = t.last;
    Array.prototype.forEach.call(timingFields, function (f) {
      var part = f.getAttribute('data-part');
      f.value = part === 'first' ? t.first : part === 'last' ? t.last : String(t.clicks);
    });
  }, true);

  function resolution() {
    each(form, 'input.sv-res', function (f) {
      f.value = window.screen.width + 'x' + window.screen.height;
    });
  }

  // A range track beside each slider's number box: moving either moves the other. The box alone posts,
  // so an untouched slider stays unanswered.
  function sliders() {
    each(form, '.sv-slider', function (wrap) {
      var box = wrap.querySelector('input.sv-num');
      var label = wrap.querySelector('label');
      if (!box || !label) return;
      label.id = label.id || uid('sl');
      var range = document.createElement('input');
      range.type = 'range';
      range.className = 'sv-range' + (box.value === '' ? ' sv-untouched' : '');
      range.min = box.min;
      range.max = box.max;
      range.step = box.step;
      range.value = box.value === '' ? box.min : box.value;
      range.setAttribute('aria-labelledby', label.id);
      var grid = Number(wrap.getAttribute('data-grid'));
      var min = Number(box.min);
      var max = Number(box.max);
      if (grid > 0 && grid <= 50 && max > min) {
        var list = document.createElement('datalist');
        list.id = uid('ticks');
        for (var i = 0; i <= grid; i++) {
          var o = document.createElement('option');
          o.value = String(min + ((max - min) * i) / grid);
          list.appendChild(o);
        }
        wrap.appendChild(list);
        range.setAttribute('list', list.id);
      }
      range.addEventListener('input', function () {
        box.value = range.value;
        range.classList.remove('sv-untouched');
      });
      box.addEventListener('input', function () {
        if (box.value !== '') {
          range.value = box.value;
          range.classList.remove('sv-untouched');
        }
      });
      wrap.insertBefore(range, box);
    });
  }

  // Rank lists: drag and drop, or move up/down buttons; the rank dropdowns follow the list order, and
  // picking a rank in a dropdown moves the item there.
  function rankLists() {
    each(form, 'ol.sv-rank', function (ol) {
      ol.classList.add('sv-js');
      var live = document.createElement('p');
      live.className = 'sv-vh';
      live.setAttribute('aria-live', 'polite');
      ol.parentNode.insertBefore(live, ol.nextSibling);
      var dragged = null;

      function items() {
        return Array.prototype.slice.call(ol.children);
      }
      function renumber(moved) {
        items().forEach(function (li, i) {
          li.querySelector('select').value = String(i + 1);
        });
        if (moved) live.textContent = moved.querySelector('label').textContent + ': rank ' + (items().indexOf(moved) + 1);
      }
      function moveTo(li, index) {
        var list = items();
        list.splice(list.indexOf(li), 1);
        ol.insertBefore(li, list[index] || null);
        renumber(li);
      }
      items().forEach(function (li) {
        var name = li.querySelector('label').textContent;
        li.draggable = true;
        ['up', 'down'].forEach(function (dir) {
          var b = document.createElement('button');
          b.type = 'button';
          b.className = 'sv-move sv-move-' + dir;
          b.textContent = dir === 'up' ? '↑' : '↓';
          b.setAttribute('aria-label', 'Move ' + name + ' ' + dir);
          b.addEventListener('click', function () {
            var i = items().indexOf(li) + (dir === 'up' ? -1 : 1);
            if (i >= 0 && i < ol.children.length) moveTo(li, i);
            b.focus();
          });
          li.appendChild(b);
        });
        li.querySelector('select').addEventListener('change', function (e) {
          var r = Number(e.target.value);
          if (r >= 1) moveTo(li, r - 1);
        });
        li.addEventListener('dragstart', function (e) {
          dragged = li;
          li.classList.add('sv-dragging');
          e.dataTransfer.effectAllowed = 'move';
          e.dataTransfer.setData('text/plain', '');
        });
        li.addEventListener('dragend', function () {
          li.classList.remove('sv-dragging');
          dragged = null;
        });
        li.addEventListener('dragover', function (e) {
          if (dragged && dragged !== li) e.preventDefault();
        });
        li.addEventListener('drop', function (e) {
          e.preventDefault();
          if (dragged && dragged !== li) moveTo(dragged, items().indexOf(li));
        });
      });
    });
  }

  function parse(v) {
    var n = Number(String(v).trim().replace(',', '.'));
    return v.trim() === '' || !isFinite(n) ? 0 : n;
  }

  function constantSums() {
    each(form, '.sv-cs', function (cs) {
      var out = cs.querySelector('output');
      var target = cs.getAttribute('data-total');
      function update() {
        var sum = 0;
        each(cs, 'input.sv-num', function (i) {
          sum += parse(i.value);
        });
        sum = Math.round(sum * 1e6) / 1e6;
        out.value = String(sum);
        cs.classList.toggle('sv-off', target !== '' && sum !== Number(target));
      }
      cs.addEventListener('input', update);
    });
  }

  function enhance(inPlace) {
    form = document.querySelector('form.sv-form');
    markView();
    timingFields = [];
    if (form) {
      guardSubmit();
      exclusives();
      timing();
      resolution();
      sliders();
      rankLists();
      constantSums();
    }
    var summary = document.getElementById('sv-summary');
    var heading = document.querySelector('main h1') || document.querySelector('h1');
    if (summary) summary.focus();
    else if (inPlace && heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
    document.dispatchEvent(new CustomEvent('insight:page'));
  }

  enhance(false);
})();
