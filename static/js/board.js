// Micboard's own script for the board and wall displays: connection state,
// re-syncing after a reconnect, a watchdog for silent networks, keyboard
// shortcuts, relative times, and (on kiosks) wake lock and fullscreen.
// htmx and its SSE extension do the rest.
(function () {
  'use strict';

  var kiosk = document.body.hasAttribute('data-kiosk');
  var WATCHDOG_MS = 15000; // the server pings every 2 s
  var STALE_MS = 5000;     // no update for this long: the board says it is stale
  var source = null;
  var lastSeen = Date.now();
  var opened = 0;

  // Keep hold of the stream htmx opens, to notice one that went silent
  // without closing (a dropped Wi-Fi, a sleeping switch).
  if (window.htmx && htmx.createEventSource) {
    var create = htmx.createEventSource;
    htmx.createEventSource = function (url) {
      var s = create(url);
      source = s;
      lastSeen = Date.now();
      s.addEventListener('ping', function () { lastSeen = Date.now(); setStale(false); });
      s.addEventListener('message', function () { lastSeen = Date.now(); setStale(false); });
      s.addEventListener('revoked', function () { window.location.reload(); });
      s.addEventListener('meters', function (e) { lastSeen = Date.now(); setStale(false); holdMeters(e); applyMeters(e.data); });
      s.addEventListener('alert', function (e) { lastSeen = Date.now(); setStale(false); applyAlert(e.data); });
      return s;
    };
  }

  // Meters arrive batched on one line, tiles separated by ";":
  // "ID [LABEL:]PCT[x] ... [~BATTERY[ !]]" (x: dimmed, PCT "-": no bar yet),
  // the same rows partials/tile_meters draws. A row without a label keeps
  // the one shown; the battery text ("_" for spaces) and the clip mark "!"
  // come only when they moved.
  function applyMeters(data) {
    var tiles = data.split(';');
    for (var i = 0; i < tiles.length; i++) {
      var parts = tiles[i].trim().split(' ');
      for (var k = 1; k < parts.length; k++) {
        if (parts[k].charAt(0) !== '~') continue;
        var tile = document.getElementById('tile-' + parts[0]);
        if (tile) applyTileText(tile, parts[k].slice(1).replace(/_/g, ' '), parts[k + 1] === '!');
        parts = parts.slice(0, k);
        break;
      }
      var box = document.getElementById('m-' + parts[0]);
      if (!box) continue;
      var rows = parts.slice(1);
      if (box.children.length !== rows.length * 2) rebuildMeters(box, rows.length);
      for (var j = 0; j < rows.length; j++) {
        var row = rows[j], colon = row.indexOf(':');
        var label = box.children[j * 2], track = box.children[j * 2 + 1];
        if (colon >= 0) {
          if (label.textContent !== row.slice(0, colon)) label.textContent = row.slice(0, colon);
          row = row.slice(colon + 1);
        }
        var bar = track.firstElementChild;
        if (row === '-') { if (bar) track.removeChild(bar); continue; }
        if (!bar) { bar = document.createElement('span'); track.appendChild(bar); }
        var dim = row.charAt(row.length - 1) === 'x';
        bar.style.width = parseInt(row, 10) + '%';
        bar.className = dim ? 'opacity-40' : '';
      }
    }
  }
  // applyTileText sets a tile's battery text and its clip pulse and mark,
  // drawn over the colour beneath it (data-base) and ending back on it.
  function applyTileText(tile, text, peak) {
    var runtime = tile.querySelector('.tile-runtime');
    if (runtime && runtime.textContent !== text) runtime.textContent = text;
    if (tile.classList.contains('tile-peak') === peak) return;
    tile.classList.toggle('tile-peak', peak);
    tile.setAttribute('data-status', peak ? 'AUDIO_PEAK' : tile.getAttribute('data-base'));
    var clip = tile.querySelector('.tile-clip');
    if (clip) clip.classList.toggle('hidden', !peak);
  }
  function rebuildMeters(box, n) {
    while (box.firstChild) box.removeChild(box.firstChild);
    for (var k = 0; k < n; k++) {
      box.appendChild(document.createElement('span'));
      var track = document.createElement('span');
      track.className = 'meter';
      box.appendChild(track);
    }
  }

  // Alerts arrive as JSON {event, id, kind, severity, state, message, ...}:
  // "active" for those unresolved when the stream began, then "opened",
  // "acknowledged", "resolved". Messages name devices, so they only ever
  // go in as textContent.
  var dismissed = {};
  function applyAlert(data) {
    var a;
    try { a = JSON.parse(data); } catch (err) { return; }
    if (!a || typeof a.id !== 'number') return;
    document.dispatchEvent(new CustomEvent('micboard:alert', { detail: a })); // alert_sound.js
    var toasts = document.getElementById('alert-toasts');
    if (toasts) toastAlert(toasts, a);
    var strip = document.getElementById('alert-strip');
    if (strip) stripAlert(strip, a);
  }
  function fillAlert(node, a) {
    node.setAttribute('data-alert-id', String(a.id));
    node.setAttribute('data-severity', a.severity === 'critical' ? 'critical' : 'warning');
    node.setAttribute('data-state', a.state === 'acknowledged' ? 'acknowledged' : 'open');
    var sev = node.querySelector('[data-alert-severity]');
    if (sev) sev.textContent = a.severity === 'critical' ? 'Critical' : 'Warning';
    var msg = node.querySelector('[data-alert-message]');
    if (msg) msg.textContent = a.message;
  }
  // A toast stays until the alert is acknowledged or resolved, or until
  // this person dismisses it.
  function toastAlert(box, a) {
    var el = document.getElementById('alert-toast-' + a.id);
    var open = (a.event === 'opened' || a.event === 'active') && a.state === 'open';
    if (!open) { if (el) el.parentNode.removeChild(el); return; }
    if (el || dismissed[a.id]) return;
    var tpl = document.getElementById('alert-toast-tpl');
    if (!tpl) return;
    var node = tpl.content.firstElementChild.cloneNode(true);
    node.id = 'alert-toast-' + a.id;
    fillAlert(node, a);
    var ack = node.querySelector('[data-ack]');
    var url = box.getAttribute('data-ack-url');
    if (ack && url) ack.setAttribute('hx-post', url.replace(':id', String(a.id)));
    else if (ack) ack.parentNode.removeChild(ack);
    box.appendChild(node);
    if (ack && url && window.htmx) htmx.process(node);
  }
  // The strip lists the unresolved alerts of its severity (all when the
  // filter is empty); it hides when none is left.
  function stripAlert(strip, a) {
    var list = document.getElementById('alert-strip-list');
    var tpl = document.getElementById('alert-strip-tpl');
    if (!list || !tpl) return;
    var want = strip.getAttribute('data-severity-filter');
    var el = document.getElementById('alert-item-' + a.id);
    if (a.event === 'resolved' || a.state === 'resolved' || (want && a.severity !== want)) {
      if (el) el.parentNode.removeChild(el);
    } else {
      if (!el) {
        el = tpl.content.firstElementChild.cloneNode(true);
        el.id = 'alert-item-' + a.id;
        list.insertBefore(el, list.firstChild);
      }
      fillAlert(el, a);
      var note = el.querySelector('[data-alert-ack]');
      if (note) note.hidden = a.state !== 'acknowledged';
    }
    strip.hidden = list.children.length === 0;
  }
  document.addEventListener('htmx:afterRequest', function (e) {
    var el = e.detail && e.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute('data-ack') || !e.detail.successful) return;
    var toast = el.closest('[data-alert-toast]');
    if (toast) toast.parentNode.removeChild(toast);
  });

  function setConn(state, text) {
    var el = document.getElementById('conn');
    if (!el) return;
    el.setAttribute('data-conn', state);
    var t = el.querySelector('.conn-text');
    if (t) t.textContent = text;
  }

  document.addEventListener('htmx:sseOpen', function () {
    lastSeen = Date.now();
    opened++;
    setConn('live', 'Live');
    // After a drop or a server restart, tiles may have changed, come or
    // gone: draw the grid again, the stream carries on from here.
    if (opened > 1) resyncGrid();
  });
  function resyncGrid() {
    var grid = document.getElementById('grid');
    if (grid) htmx.trigger(grid, 'resync');
  }
  document.addEventListener('htmx:sseError', function () { setConn('down', 'Reconnecting…'); });
  // Tiles arrive as named events that htmx swaps; they count as news too.
  // A grid fetched again (after a reconnect, or when the server asks) was
  // drawn at the board version in its data-version; tiles and meters that
  // arrive while it is on its way carry the version they were read at (their
  // SSE id). Those newer than the grid are applied again once it is in, so
  // the older grid never draws over them. A resync asked for meanwhile
  // fetches once more: htmx drops a request queued on the grid it replaced.
  // The grid's request is known by its XMLHttpRequest, not by the element:
  // once the new grid has replaced the old one, afterRequest names an
  // element without the id.
  var gridLoading = null, heldTiles = {}, heldMeters = [], resyncMissed = false;
  function versionOf(e) { var v = parseInt(e && e.lastEventId, 10); return isNaN(v) ? 0 : v; }
  document.addEventListener('htmx:sseMessage', function (e) {
    lastSeen = Date.now(); setStale(false);
    if (gridLoading && e.detail && e.detail.type === 'resync') resyncMissed = true;
  });
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var el = e.target, ev = e.detail;
    if (!gridLoading || !el || !el.id || el.id.indexOf('tile-') !== 0 || !ev) return;
    heldTiles[el.id] = { v: versionOf(ev), html: ev.data };
  });
  function holdMeters(e) { if (gridLoading) heldMeters.push({ v: versionOf(e), data: e.data }); }
  document.addEventListener('htmx:beforeRequest', function (e) {
    if (e.detail && e.detail.elt && e.detail.elt.id === 'grid') {
      gridLoading = e.detail.xhr || true;
      heldTiles = {}; heldMeters = []; resyncMissed = false;
    }
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    if (!gridLoading || !e.detail || (e.detail.xhr || true) !== gridLoading) return;
    gridLoading = null;
    var tiles = heldTiles, meters = heldMeters, again = resyncMissed;
    heldTiles = {}; heldMeters = []; resyncMissed = false;
    var grid = document.getElementById('grid');
    if (!e.detail.successful || !grid) return; // the old grid stayed, with every swap in it
    var drawn = parseInt(grid.getAttribute('data-version'), 10) || 0;
    Object.keys(tiles).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && tiles[id].v > drawn) htmx.swap(el, tiles[id].html, { swapStyle: 'outerHTML' });
    });
    meters.forEach(function (m) { if (m.v > drawn) applyMeters(m.data); });
    if (again) setTimeout(resyncGrid, 50);
  });

  // Honest when stale: with no update for STALE_MS every tile greys out and
  // a banner says since when, until the stream speaks again.
  var stale = false;
  function setStale(on) {
    if (on === stale) return;
    stale = on;
    var banner = document.getElementById('stale');
    if (on) {
      document.body.setAttribute('data-stale', '');
      if (banner) {
        banner.textContent = 'No data since ' + new Date(lastSeen).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) + ' — reconnecting…';
        banner.hidden = false;
      }
    } else {
      document.body.removeAttribute('data-stale');
      if (banner) banner.hidden = true;
    }
  }
  setInterval(function () {
    if (document.querySelector('[sse-connect]')) setStale(Date.now() - lastSeen > STALE_MS);
  }, 250);

  setInterval(function () {
    if (source && source.readyState === 1 && Date.now() - lastSeen > WATCHDOG_MS) {
      setConn('down', 'Reconnecting…');
      source.close();
      // The SSE extension reconnects a closed stream from its error handler.
      if (typeof source.onerror === 'function') source.onerror(new Event('error'));
    }
  }, 2000);

  // A display revoked while running gets 410 from its heartbeat.
  document.addEventListener('htmx:responseError', function (e) {
    if (e.detail && e.detail.xhr && e.detail.xhr.status === 410) window.location.reload();
  });

  // "3 min ago" stays true without a message from the server.
  function ago(then) {
    var s = Math.max(0, (Date.now() - then) / 1000);
    if (s < 60) return 'just now';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return new Date(then).toLocaleString();
  }
  // "offline since 21:14" reads this browser's clock (the server wrote its
  // own), with the date once it is more than 20 hours ago.
  function clockAt(then, seconds) {
    var d = new Date(then);
    var hm = d.toLocaleTimeString([], seconds ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (Date.now() - then <= 20 * 3600 * 1000) return hm;
    return d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hm;
  }
  function refreshTimes() {
    var els = document.querySelectorAll('time[data-ago]');
    for (var i = 0; i < els.length; i++) {
      var t = Date.parse(els[i].getAttribute('datetime'));
      if (!isNaN(t)) els[i].textContent = ago(t);
    }
    var since = document.querySelectorAll('time[data-since]');
    for (var j = 0; j < since.length; j++) {
      var s = Date.parse(since[j].getAttribute('datetime'));
      if (!isNaN(s) && since[j].textContent !== clockAt(s)) since[j].textContent = clockAt(s);
    }
    // "no data since 21:14:05": to the second, like the stale banner.
    var secs = document.querySelectorAll('time[data-since-s]');
    for (var k = 0; k < secs.length; k++) {
      var u = Date.parse(secs[k].getAttribute('datetime'));
      if (!isNaN(u) && secs[k].textContent !== clockAt(u, true)) secs[k].textContent = clockAt(u, true);
    }
    var clock = document.querySelector('[data-clock]');
    if (clock) clock.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  setInterval(refreshTimes, 15000);
  document.addEventListener('DOMContentLoaded', refreshTimes);

  // The tile that opened the panel gets the focus back when it closes, so a
  // keyboard user carries on from there (by id: live swaps replace tiles).
  var opener = null;
  function closeDetail() {
    var d = document.getElementById('detail');
    if (!d) { if (!kiosk) window.location.href = '/'; return; }
    d.innerHTML = '';
    var back = opener && document.getElementById(opener);
    opener = null;
    if (back) back.focus();
  }

  // A tile opens its channel's detail panel. (Not hx-get on the tile: its
  // hx-target would also redirect the tile's own live swaps.)
  document.addEventListener('click', function (e) {
    if (!e.target.closest) return;
    if (e.target.closest('[data-close]')) { closeDetail(); return; }
    var gone = e.target.closest('[data-dismiss]');
    if (gone) {
      var toast = gone.closest('[data-alert-toast]');
      if (toast) {
        dismissed[toast.getAttribute('data-alert-id')] = true;
        toast.parentNode.removeChild(toast);
      }
      return;
    }
    var tile = e.target.closest('[data-detail]');
    if (tile && document.getElementById('detail')) {
      opener = tile.id;
      htmx.ajax('GET', tile.getAttribute('data-detail'), { target: '#detail', swap: 'innerHTML' });
    }
  });
  document.addEventListener('htmx:afterSwap', function (e) {
    if (e.target && e.target.id === 'detail') {
      var b = e.target.querySelector('button[data-close]');
      if (b) b.focus();
    }
  });
  document.addEventListener('change', function (e) {
    var f = e.target.form;
    if (f && f.hasAttribute('data-autosubmit')) {
      if (f.requestSubmit) f.requestSubmit(); else f.submit();
    }
  });

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'select' || tag === 'textarea') return;
    if (e.key === 'Escape') { closeDetail(); return; }
    if (e.key === 'f') { toggleFullscreen(); return; }
    if ((e.key === 'Enter' || e.key === ' ') && e.target.getAttribute('role') === 'button') {
      e.preventDefault();
      e.target.click();
      return;
    }
    if (kiosk) return;
    // Number keys open groups 1–9 (0: everything), as in micboard; A toggles
    // "needs attention".
    var key = e.key.toLowerCase();
    if (!/^[0-9a]$/.test(key)) return;
    var link = document.querySelector('a[data-key="' + key + '"]');
    if (link) { e.preventDefault(); link.click(); }
  });

  function toggleFullscreen() {
    var d = document.documentElement;
    if (!document.fullscreenElement) {
      if (d.requestFullscreen) d.requestFullscreen().catch(function () {});
    } else if (document.exitFullscreen) {
      document.exitFullscreen().catch(function () {});
    }
  }

  if (kiosk) {
    // Keep the screen awake where the browser allows; the lock is dropped
    // when the tab hides, so take it again when it shows.
    var lock = null;
    function wake() {
      if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
      navigator.wakeLock.request('screen').then(function (l) { lock = l; }).catch(function () {});
    }
    document.addEventListener('visibilitychange', wake);
    document.addEventListener('DOMContentLoaded', wake);
    // Browsers allow fullscreen only after a gesture: the first key or click.
    var once = function () {
      if (!document.fullscreenElement) toggleFullscreen();
      document.removeEventListener('click', once);
      document.removeEventListener('keydown', once);
    };
    document.addEventListener('click', once);
    document.addEventListener('keydown', once);
  }
})();
