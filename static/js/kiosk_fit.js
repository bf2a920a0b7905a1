// Wall displays fit themselves: every channel on the screen at the largest
// size that fits, or, when that would make the name smaller than the
// display's minimum (a share of the screen height, legible from the back of
// the room), pages through them. Tiles that need attention are on every
// page. Sizes are measured from the tiles themselves, so a longer name or
// an extra meter row can never overflow a tile.
(function () {
  'use strict';

  var grid = null, host = null;
  var layout = null;          // {per, u} of the last measure
  var page = 0, pages = 1;
  var timer = null, ticking = false;
  var NAME_CAP_EM = 11;       // a very long name truncates instead of shrinking the wall

  function num(el, attr, def) {
    var v = parseFloat(el.getAttribute(attr));
    return isNaN(v) ? def : v;
  }
  function tiles() {
    return Array.prototype.slice.call(grid.querySelectorAll(':scope > .tile'));
  }

  // measure lays the tiles out at their natural size with the type unit at
  // probe px and returns the largest tile in units of the name's size. The
  // probe is the smallest unit allowed, so fixed margins only ever make the
  // estimate too large, never too small.
  function measure(list, probe) {
    grid.style.setProperty('--u', probe + 'px');
    grid.classList.add('kiosk-measure');
    var w = 1, h = 1;
    for (var i = 0; i < list.length; i++) {
      var t = list[i];
      var name = t.querySelector('.tile-name');
      var nameW = name ? name.scrollWidth : 0;
      var tw = t.offsetWidth;
      if (nameW > NAME_CAP_EM * probe) tw -= nameW - NAME_CAP_EM * probe;
      w = Math.max(w, tw / probe);
      h = Math.max(h, t.offsetHeight / probe);
    }
    grid.classList.remove('kiosk-measure');
    // A little room for rounding and the fixed hairlines.
    return { w: w * 1.04, h: h * 1.04 };
  }

  // best returns the columns and type unit that show n tiles largest in a
  // box of W×H px with gap g between tiles.
  function best(n, W, H, g, need, fixedCols) {
    var top = { cols: 1, u: 0 };
    var from = fixedCols || 1, to = fixedCols || n;
    for (var c = from; c <= to; c++) {
      var r = Math.ceil(n / c);
      var u = Math.min(((W - (c - 1) * g) / c) / need.w, ((H - (r - 1) * g) / r) / need.h);
      if (u > top.u) top = { cols: c, u: u };
    }
    return top;
  }

  function relayout() {
    grid = document.getElementById('grid');
    if (!grid || !grid.hasAttribute('data-fit')) return;
    host = grid.parentElement;
    var list = tiles();
    var spacers = grid.querySelectorAll(':scope > .tile-spacer');
    for (var s = 0; s < spacers.length; s++) spacers[s].style.display = 'none';
    if (list.length === 0) { setPager(1); return; }
    for (var i = 0; i < list.length; i++) list[i].classList.remove('kiosk-off');

    var screenH = window.innerHeight;
    var minU = num(grid, 'data-min-name', 0.04) * screenH;
    var maxU = 0.16 * screenH;
    var fixedCols = num(grid, 'data-columns', 0) | 0;
    var W = host.clientWidth, H = host.clientHeight;
    var g = Math.round(0.008 * screenH);
    var need = measure(list, Math.max(10, minU));

    var n = list.length;
    var fit = best(n, W, H, g, need, fixedCols);
    // When the full tiles do not fit on one page, the wall drops the
    // meters and the footer (name, slot, status and battery stay): twice
    // the channels a page, or none left off at all.
    grid.classList.remove('kiosk-compact');
    if (fit.u < minU) {
      grid.classList.add('kiosk-compact');
      need = measure(list, Math.max(10, minU));
      fit = best(n, W, H, g, need, fixedCols);
    }
    var per = n;
    if (fit.u < minU) {
      // Paging: as many tiles a page as fit at the minimum size.
      var cols = fixedCols || Math.max(1, Math.floor((W + g) / (need.w * minU + g)));
      var rows = Math.max(1, Math.floor((H + g) / (need.h * minU + g)));
      per = Math.max(1, cols * rows);
      fit = best(per, W, H, g, need, fixedCols);
      if (fit.u < minU) fit = { cols: cols, u: minU };
    }
    var u = Math.min(fit.u, maxU);
    var rowsShown = Math.ceil(Math.min(per, n) / fit.cols);
    layout = {
      per: per, u: u,
      style: {
        '--u': u.toFixed(2) + 'px',
        '--gap': g + 'px',
        'grid-template-columns': 'repeat(' + fit.cols + ', minmax(0, 1fr))',
        'grid-auto-rows': Math.floor((H - (rowsShown - 1) * g) / rowsShown) + 'px'
      }
    };
    applyStyle();
    assign();
  }

  // applyStyle sets the fitted sizes on the grid again where something
  // else replaced them: htmx's settle step puts the server's style attribute
  // back on a swapped-in grid a moment after the swap, which may be after
  // the relayout.
  var styleWatch = null, watched = null;
  function applyStyle() {
    if (!grid || !layout) return;
    if (watched !== grid && window.MutationObserver) {
      // Only the grid's own style: the meters restyle their bars many
      // times a second and must not wake this.
      if (!styleWatch) styleWatch = new MutationObserver(applyStyle);
      styleWatch.disconnect();
      styleWatch.observe(grid, { attributes: true, attributeFilter: ['style'] });
      watched = grid;
    }
    for (var k in layout.style) {
      if (grid.style.getPropertyValue(k) === layout.style[k]) continue;
      grid.style.setProperty(k, layout.style[k]);
      // Kept as the browser writes it back, so the next compare matches.
      layout.style[k] = grid.style.getPropertyValue(k);
    }
  }

  // assign shows this page's tiles: those that need attention first, on
  // every page, then the page's share of the rest, in board order.
  function assign() {
    if (!grid || !layout) return;
    var list = tiles(), want = [], rest = [];
    for (var i = 0; i < list.length; i++) {
      (list[i].hasAttribute('data-attention') ? want : rest).push(list[i]);
    }
    var per = layout.per, shown = [];
    if (list.length <= per) {
      pages = 1;
      shown = want.concat(rest);
    } else if (want.length < per) {
      var room = per - want.length;
      pages = Math.max(1, Math.ceil(rest.length / room));
      page = page % pages;
      shown = want.concat(rest.slice(page * room, page * room + room));
    } else {
      var all = want.concat(rest);
      pages = Math.ceil(all.length / per);
      page = page % pages;
      shown = all.slice(page * per, page * per + per);
    }
    var on = new Set(shown);
    for (var j = 0; j < list.length; j++) {
      var t = list[j], order = t.hasAttribute('data-attention') ? '-1' : '';
      if (t.classList.contains('kiosk-off') === on.has(t)) t.classList.toggle('kiosk-off', !on.has(t));
      if (t.style.order !== order) t.style.order = order;
    }
    grid.setAttribute('data-page', String(page + 1));
    grid.setAttribute('data-pages', String(pages));
    setPager(pages);
  }

  function setPager(n) {
    var el = document.querySelector('[data-pager]');
    if (!el) return;
    el.hidden = n <= 1;
    el.textContent = (page + 1) + '/' + n;
    el.setAttribute('aria-label', 'Page ' + (page + 1) + ' of ' + n);
  }

  function turn(by) {
    page = (page + by + pages) % pages;
    assign();
  }

  function schedule() {
    if (timer) clearInterval(timer);
    var secs = grid ? num(grid, 'data-page-seconds', 10) : 10;
    timer = setInterval(function () { if (pages > 1) turn(1); }, Math.max(2, secs) * 1000);
  }

  // Relayout once per frame at most, whatever woke it.
  var queued = false;
  function soon(full) {
    if (full) layout = null;
    if (queued) return;
    queued = true;
    // A timer, not requestAnimationFrame: a wall's tab may not be painted
    // (a second screen, a TV's own browser) and would never lay out.
    setTimeout(function () {
      queued = false;
      var g = document.getElementById('grid');
      if (!layout || g !== grid || tiles().length !== count) { relayout(); count = grid ? tiles().length : 0; schedule(); }
      else assign();
    }, 30);
  }
  var count = -1;

  function start() {
    var live = document.getElementById('live');
    var g = document.getElementById('grid');
    if (!live || !g || !g.hasAttribute('data-fit')) return;
    relayout();
    count = tiles().length;
    schedule();
    // A tile swapped in by the stream has lost the page's classes, and
    // htmx's settle step sets the server's attributes again a moment after
    // the swap: set ours again after either, before the next paint
    // (observers run before it). assign changes nothing already right, so
    // this converges.
    new MutationObserver(function (ms) {
      var g = document.getElementById('grid');
      for (var i = 0; i < ms.length; i++) {
        var m = ms[i], t = m.target;
        if (m.type === 'attributes') {
          if (t.parentNode === g && g === grid && layout) { assign(); return; }
          continue;
        }
        if (t === g && g === grid && layout && tiles().length === count) { assign(); return; }
        if (t === g || (t.contains && t.contains(g))) { soon(true); return; }
      }
    }).observe(live, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'data-attention'] });
    // The alert strip or the stale banner takes room; the window resizes.
    if (window.ResizeObserver) new ResizeObserver(function () { soon(true); }).observe(g.parentElement);
    window.addEventListener('resize', function () { soon(true); });
    // A keyboard at the wall may turn pages by hand.
    document.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowRight' || e.key === 'PageDown') { turn(1); schedule(); }
      if (e.key === 'ArrowLeft' || e.key === 'PageUp') { turn(-1); schedule(); }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
