// Every htmx request that changes something carries the page's CSRF token
// (from <meta name="csrf-token">) in the X-CSRF-Token header; plain forms
// carry it as the hidden input "csrf". A page without the meta tag (a wall
// display) sends none.
(function () {
  'use strict';
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) e.detail.headers['X-CSRF-Token'] = meta.content;
  });
})();
