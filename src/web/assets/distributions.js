// Live counters on the distribution pages. Without this script the page shows the numbers of the
// moment it was loaded and reloads itself (a <noscript> refresh); with it, the counters and statuses
// are fetched from the page's JSON twin every few seconds, in place, until nothing is pending. The
// updates can be paused (WCAG 2.2.2); nothing moves focus.
(function () {
  'use strict';

  var box = document.querySelector('[data-live-url]');
  if (!box) return;
  var url = box.getAttribute('data-live-url');
  var note = document.getElementById('live-note');
  var toggle = document.getElementById('live-toggle');
  var status = document.getElementById('live-status');
  var INTERVAL = 4000;
  var paused = false;
  var timer = null;

  function set(el, text) {
    if (el && el.textContent !== String(text)) el.textContent = String(text);
  }

  function show(data) {
    for (var i = 0; i < data.distributions.length; i++) {
      var d = data.distributions[i];
      var holders = document.querySelectorAll('[data-distribution="' + d.id + '"]');
      for (var h = 0; h < holders.length; h++) {
        var counters = holders[h].querySelectorAll('[data-counter]');
        for (var c = 0; c < counters.length; c++) set(counters[c], d.counters[counters[c].getAttribute('data-counter')]);
        var statuses = holders[h].querySelectorAll('[data-status]');
        for (var s = 0; s < statuses.length; s++) set(statuses[s], d.status);
      }
      // The settings list of a distribution page shows the status outside the counters.
      var own = document.querySelectorAll('dl.settings [data-status]');
      if (holders.length > 0) for (var o = 0; o < own.length; o++) set(own[o], d.status);
    }
  }

  function finish() {
    if (toggle) toggle.hidden = true;
    if (note) note.textContent = 'Nothing is pending any more.';
    set(status, 'All distributions are finished; the counters are final. Reload the page for the recipients’ latest statuses.');
  }

  function poll() {
    timer = null;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        show(data);
        if (!data.pending) finish();
        else schedule();
      })
      .catch(function () {
        // A passing network fault: try again later, more slowly.
        schedule(INTERVAL * 4);
      });
  }

  function schedule(wait) {
    if (!paused && timer === null) timer = window.setTimeout(poll, wait || INTERVAL);
  }

  if (note) note.textContent = 'Sending is in progress: the counters update every few seconds.';
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      paused = !paused;
      toggle.setAttribute('aria-pressed', paused ? 'true' : 'false');
      if (paused && timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
      set(status, paused ? 'Live updates paused.' : 'Live updates resumed.');
      if (!paused) poll();
    });
    toggle.setAttribute('aria-pressed', 'false');
  }
  schedule();
})();
