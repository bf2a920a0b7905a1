// The board for keyboards and screen readers: the channel panel keeps the
// focus inside it and has an address of its own (/channels/{id}, so a
// reload or a shared link opens it again), a polite live region says when a
// channel turns critical or offline, "?" shows the keys, "Q" a QR code of
// this view for a phone. board.js opens and closes the panel.
(function () {
  'use strict';

  if (document.body.hasAttribute('data-kiosk')) return;

  function byId(id) { return document.getElementById(id); }
  function panel() { var d = byId('detail'); return d && d.querySelector('[role=dialog]'); }

  // Focus stays in an open dialog: Tab from the last control goes to the
  // first, Shift+Tab from the first to the last.
  var focusable = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';
  function trap(e, box) {
    var items = Array.prototype.filter.call(box.querySelectorAll(focusable), function (el) { return el.offsetParent !== null || el === document.activeElement; });
    if (items.length === 0) { e.preventDefault(); return; }
    var first = items[0], last = items[items.length - 1];
    if (!box.contains(document.activeElement)) { e.preventDefault(); first.focus(); return; }
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }
  function openOverlay() {
    var o = document.querySelector('[data-overlay]:not([hidden])');
    return o || panel();
  }

  // The panel's address: /channels/{id} with the board's view kept.
  var boardPath = location.pathname.indexOf('/channels/') === 0 ? '/' : location.pathname;
  function panelURL(id) { return '/channels/' + id + location.search; }
  function syncURL() {
    var p = panel(), want;
    if (p) {
      want = panelURL(p.getAttribute('data-channel-id'));
      if (location.pathname + location.search !== want) history.pushState({ panel: true }, '', want);
    } else if (location.pathname.indexOf('/channels/') === 0) {
      // At once, not history.back(): the address is the board's the moment
      // the panel is gone.
      history.replaceState(null, '', boardPath + location.search);
    }
  }
  window.addEventListener('popstate', function () {
    var m = /^\/channels\/(\d+)$/.exec(location.pathname);
    var d = byId('detail');
    if (!d) return;
    if (m && window.htmx) htmx.ajax('GET', '/channels/' + m[1] + location.search, { target: '#detail', swap: 'innerHTML' });
    else if (!m) d.innerHTML = '';
  });

  // A polite live region: channels that turn critical or offline, by name.
  var said = {};
  function tileWord(t) {
    var s = t.getAttribute('data-status');
    if (s === 'CRITICAL' || s === 'PREV_CRITICAL') return 'critical';
    if (s === 'RX_OFFLINE') return 'receiver offline';
    return '';
  }
  function remember() {
    var tiles = document.querySelectorAll('#grid > .tile');
    said = {};
    for (var i = 0; i < tiles.length; i++) said[tiles[i].id] = tileWord(tiles[i]);
  }
  var queue = [], flushing = null;
  function announce(text) {
    queue.push(text);
    if (flushing) return;
    // Changes that arrive together are said together.
    flushing = setTimeout(function () {
      var box = byId('announcer');
      if (box) box.textContent = queue.join('. ') + '.';
      queue = []; flushing = null;
    }, 400);
  }
  function watchTiles() {
    var grid = byId('grid');
    if (!grid) return;
    remember();
    new MutationObserver(function (ms) {
      for (var i = 0; i < ms.length; i++) {
        var m = ms[i];
        var nodes = m.type === 'attributes' ? [m.target] : m.addedNodes;
        for (var j = 0; j < nodes.length; j++) {
          var t = nodes[j];
          if (!t.classList || !t.classList.contains('tile')) continue;
          var w = tileWord(t);
          if (w && said[t.id] !== w) {
            var name = t.querySelector('.tile-name');
            var slot = t.querySelector('.tile-slot');
            announce((slot ? slot.textContent.trim() + ' ' : '') + (name ? name.textContent.trim() : t.id) + ': ' + w);
          }
          said[t.id] = w;
        }
      }
    }).observe(grid, { childList: true, attributes: true, attributeFilter: ['data-status'], subtree: false });
    // The grid itself is fetched again after a reconnect: watch the new one.
    var host = grid.parentNode;
    new MutationObserver(function () {
      var g = byId('grid');
      if (g && g !== grid) { grid = g; watchTiles(); }
    }).observe(host, { childList: true });
  }

  function toggle(id, show) {
    var o = byId(id);
    if (!o) return;
    o.hidden = show === undefined ? !o.hidden : !show;
    if (!o.hidden) {
      o._back = document.activeElement;
      var f = o.querySelector('[data-overlay-close]');
      if (f) f.focus();
    } else if (o._back && o._back.focus) {
      o._back.focus();
    }
  }
  function showQR() {
    var o = byId('qr-overlay');
    if (!o) return;
    var img = o.querySelector('img[data-qr]');
    if (img) img.src = img.getAttribute('data-qr') + '?path=' + encodeURIComponent(location.pathname + location.search);
    var url = o.querySelector('[data-qr-url]');
    if (url) url.textContent = location.href;
    toggle('qr-overlay', true);
  }

  document.addEventListener('keydown', function (e) {
    if (e.key === 'Tab') {
      var box = openOverlay();
      if (box) trap(e, box);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'select' || tag === 'textarea') return;
    var open = document.querySelector('[data-overlay]:not([hidden])');
    if (e.key === 'Escape' && open) { e.stopImmediatePropagation(); toggle(open.id, false); return; }
    if (e.key === '?') { e.preventDefault(); toggle('help-overlay'); return; }
    if ((e.key === 'q' || e.key === 'Q') && !panel()) { e.preventDefault(); if (open && open.id === 'qr-overlay') toggle('qr-overlay', false); else showQR(); }
  }, true);
  document.addEventListener('click', function (e) {
    if (!e.target.closest) return;
    var c = e.target.closest('[data-overlay-close]');
    if (c) { var o = c.closest('[data-overlay]'); if (o) toggle(o.id, false); return; }
    var b = e.target.closest('[data-show]');
    if (b) { if (b.getAttribute('data-show') === 'qr-overlay') showQR(); else toggle(b.getAttribute('data-show'), true); }
  });

  function start() {
    watchTiles();
    var d = byId('detail');
    if (d) {
      new MutationObserver(syncURL).observe(d, { childList: true });
      // Opened at /channels/{id}: the panel is there already.
      var close = panel() && panel().querySelector('button[data-close]');
      if (close) close.focus();
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
