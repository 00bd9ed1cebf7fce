// The import progress bar. The mapping form still submits as an ordinary POST (so the page works
// without this script and the result page appears when the import is done); while that request runs,
// this polls the upload's status endpoint and moves the <progress> bar.
(function () {
  'use strict';

  var form = document.querySelector('form[data-import-status]');
  if (!form) return;
  var box = document.getElementById('import-progress');
  var bar = box && box.querySelector('progress');
  var text = document.getElementById('import-progress-text');
  if (!box || !bar || !text) return;
  var url = form.getAttribute('data-import-status');
  var started = false;

  function show(status) {
    if (status && status.total > 0) {
      bar.max = status.total;
      bar.value = Math.min(status.done, status.total);
      text.textContent = 'Stored ' + status.done + ' of about ' + status.total + ' rows.';
    }
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (status) {
        show(status);
        if (!status || status.state !== 'done') window.setTimeout(poll, 500);
      })
      .catch(function () {
        window.setTimeout(poll, 1000);
      });
  }

  form.addEventListener('submit', function (event) {
    // One import per file: a second click while the first request runs is ignored.
    if (started) {
      event.preventDefault();
      return;
    }
    started = true;
    box.hidden = false;
    // Without a value the bar is indeterminate until the first status arrives.
    bar.removeAttribute('value');
    text.textContent = 'Importing… this page changes when the import is done.';
    var buttons = form.querySelectorAll('button[type=submit]');
    for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute('aria-disabled', 'true');
    window.setTimeout(poll, 300);
  });
})();
