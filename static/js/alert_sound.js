// An optional sound on the board for each new critical alert: off until the
// person at this screen switches it on (remembered in localStorage), then a
// short two-note tone made with WebAudio, so there is no file to fetch.
// board.js announces every alert event as a "micboard:alert" DOM event.
(function () {
  'use strict';

  var KEY = 'micboard.alertSound';
  var ctx = null;
  // window.micboardAlertSound is the hook the browser test reads: whether
  // the sound is on and how many tones were started.
  var hook = window.micboardAlertSound = { on: false, played: 0 };

  function stored() {
    try { return window.localStorage.getItem(KEY) === 'on'; } catch (e) { return false; }
  }
  function store(on) {
    try { window.localStorage.setItem(KEY, on ? 'on' : 'off'); } catch (e) { /* private mode: this page only */ }
  }
  function audio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!ctx) ctx = new AC();
    if (ctx.state === 'suspended') ctx.resume();
    return ctx;
  }
  // beep plays two short notes (880 Hz, then 660 Hz), 0.35 s in all.
  function beep() {
    hook.played++;
    var ac = audio();
    if (!ac) return;
    var t = ac.currentTime;
    [[880, 0], [660, 0.18]].forEach(function (n) {
      var osc = ac.createOscillator();
      var gain = ac.createGain();
      osc.type = 'sine';
      osc.frequency.value = n[0];
      gain.gain.setValueAtTime(0.0001, t + n[1]);
      gain.gain.exponentialRampToValueAtTime(0.3, t + n[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + 0.16);
      osc.connect(gain).connect(ac.destination);
      osc.start(t + n[1]);
      osc.stop(t + n[1] + 0.17);
    });
  }
  function show(btn) {
    btn.setAttribute('aria-pressed', hook.on ? 'true' : 'false');
    var label = btn.querySelector('[data-sound-label]');
    if (label) label.textContent = hook.on ? 'Sound on' : 'Sound off';
  }

  function init() {
    var btn = document.getElementById('alert-sound-toggle');
    if (!btn) return;
    hook.on = stored();
    show(btn);
    btn.addEventListener('click', function () {
      hook.on = !hook.on;
      store(hook.on);
      show(btn);
      if (hook.on) audio(); // the click is the gesture browsers want before audio
    });
    // A sound switched on in an earlier visit may only start after a gesture.
    document.addEventListener('pointerdown', function () { if (hook.on) audio(); }, { once: true });
    document.addEventListener('micboard:alert', function (e) {
      var a = e.detail || {};
      if (hook.on && a.event === 'opened' && a.severity === 'critical') beep();
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
