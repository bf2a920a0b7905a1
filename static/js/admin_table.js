// Admin tables: tick rows (shift-click ticks a range), tick a whole page,
// or every row matching the filter; and keep the receivers table live from
// its event stream, each row replaced in place with its tick kept.
(function () {
  'use strict';

  var picked = new Set();
  var lastIndex = -1;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll('input[data-pick]')); }

  function count() {
    var label = document.querySelector('[data-picked]');
    var all = document.querySelector('input[data-all]');
    if (!label) return;
    label.textContent = all && all.checked ? 'all matching' : picked.size + ' ticked';
  }

  document.addEventListener('click', function (e) {
    var box = e.target.closest && e.target.closest('input[data-pick]');
    if (box) {
      var list = boxes();
      var i = list.indexOf(box);
      if (e.shiftKey && lastIndex >= 0 && lastIndex < list.length) {
        var lo = Math.min(i, lastIndex), hi = Math.max(i, lastIndex);
        for (var j = lo; j <= hi; j++) {
          list[j].checked = box.checked;
          if (box.checked) picked.add(list[j].value); else picked.delete(list[j].value);
        }
      } else if (box.checked) {
        picked.add(box.value);
      } else {
        picked.delete(box.value);
      }
      lastIndex = i;
      count();
      return;
    }
    var page = e.target.closest && e.target.closest('input[data-pick-page]');
    if (page) {
      boxes().forEach(function (b) {
        b.checked = page.checked;
        if (page.checked) picked.add(b.value); else picked.delete(b.value);
      });
      count();
      return;
    }
    if (e.target.closest && e.target.closest('input[data-all]')) count();
  });

  // A new bulk panel (the answer to an action) shows the count again.
  document.addEventListener('htmx:afterSwap', count);

  // Live rows: an event "row" carries one whole row, drawn by the same
  // template as the page.
  var section = document.querySelector('[data-receivers-page][data-stream]');
  if (section && window.EventSource) {
    var source = new EventSource(section.getAttribute('data-stream'));
    // A row under a pressed pointer waits for the press to end: replacing
    // it between press and release would lose the click (a tick box that
    // does not tick).
    var pressed = null;
    var waiting = {};
    document.addEventListener('pointerdown', function (e) {
      var tr = e.target.closest && e.target.closest('tr[id]');
      pressed = tr ? tr.id : null;
    }, true);
    document.addEventListener('pointerup', function () {
      var id = pressed;
      pressed = null;
      if (id && waiting[id]) {
        var html = waiting[id];
        delete waiting[id];
        setTimeout(function () { replaceRow(html); }, 0); // after the click
      }
    }, true);
    function replaceRow(html) {
      var tpl = document.createElement('template');
      tpl.innerHTML = html;
      var row = tpl.content.firstElementChild;
      if (!row || !row.id) return;
      if (row.id === pressed) { waiting[row.id] = html; return; }
      var old = document.getElementById(row.id);
      if (!old) return;
      var box = row.querySelector('input[data-pick]');
      if (box) box.checked = picked.has(box.value);
      old.replaceWith(row);
      if (window.htmx) window.htmx.process(row);
      document.body.setAttribute('data-rows-updated', String(Date.now()));
    }
    source.addEventListener('row', function (e) { replaceRow(e.data.trim()); });
    window.addEventListener('pagehide', function () { source.close(); });
  }
  count();
})();
