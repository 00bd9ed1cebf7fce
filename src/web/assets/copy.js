// Copy buttons (the new API token, a survey's anonymous link): <button data-copy-target="ID"
// data-copy-status="ID" data-copy-what="Token" hidden>. Without this script the text is still shown
// and selectable; the button stays hidden because it could not work.
(function () {
  'use strict';

  function copyBySelection(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    // Plain-http sites have no async clipboard; the old command still works from a click.
    return document.execCommand && document.execCommand('copy');
  }

  function enhance(button) {
    var target = document.getElementById(button.getAttribute('data-copy-target'));
    var status = document.getElementById(button.getAttribute('data-copy-status'));
    var what = button.getAttribute('data-copy-what') || 'Text';
    if (!target) return;
    function say(text) {
      if (status) status.textContent = text;
    }
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = target.textContent.trim();
      var copied = navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
      copied
        .then(function () {
          say(what + ' copied to the clipboard.');
        })
        .catch(function () {
          say(copyBySelection(target) ? what + ' copied to the clipboard.' : 'The ' + what.toLowerCase() + ' is selected: copy it with your keyboard or menu.');
        });
    });
  }

  var buttons = document.querySelectorAll('button[data-copy-target]');
  for (var i = 0; i < buttons.length; i++) enhance(buttons[i]);
})();
