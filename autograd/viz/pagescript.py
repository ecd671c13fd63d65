"""The step page's script and style, as text: the pan-and-zoom of a drawing (``PANZOOM``, used
by the step page and, written out by ``docs/hooks.py``, by the documentation site's large
drawings) and the stepping (``STEPPER``: states applied to one drawing), plain JavaScript that
fetches nothing."""

from __future__ import annotations

__all__ = ["PAGE_STYLE", "PANZOOM", "STEPPER"]

# Pan and zoom one inline SVG inside a viewport element: wheel (around the pointer), drag,
# zoomBy / fit / actual / follow for buttons and keys. The SVG keeps its own coordinates; its
# size and place are set in CSS pixels, so text stays crisp at every scale. At scale 1 a
# graphviz point is 4/3 CSS px (its natural size). ``readable`` is the smallest scale at which
# every box's and op's text is 12 CSS px; ``start`` the scale it opens at (fit, but readable).
PANZOOM = r"""
window.chainrulePanZoom = function (viewport, opts) {
  opts = opts || {};
  var svg = viewport.querySelector("svg"), box = svg.viewBox.baseVal;
  var W = box.width * 4 / 3, H = box.height * 4 / 3, s = 1, x = 0, y = 0;
  var sizes = [].map.call(svg.querySelectorAll("g.node text, g.node_text text"), function (t) {
    return parseFloat(t.getAttribute("font-size")) || 14; });
  var font = (sizes.length ? Math.min.apply(null, sizes) : 14) * 4 / 3;  // boxes' and ops' text
  var pz = {readable: 12.4 / font, maxScale: 8};  // 12 CSS px, rounding aside
  svg.removeAttribute("style");
  svg.style.position = "absolute"; svg.style.maxWidth = "none"; svg.style.transformOrigin = "0 0";
  viewport.style.position = "relative"; viewport.style.overflow = "hidden";
  viewport.style.touchAction = "none"; viewport.style.cursor = "grab";
  function apply() {
    svg.setAttribute("width", (W * s).toFixed(1) + "px");
    svg.setAttribute("height", (H * s).toFixed(1) + "px");
    svg.style.left = x.toFixed(1) + "px"; svg.style.top = y.toFixed(1) + "px";
    viewport.dataset.scale = s.toFixed(4);
    if (opts.onchange) opts.onchange(s);
  }
  pz.scale = function () { return s; };
  pz.fitScale = function () {
    return Math.min(viewport.clientWidth / W, viewport.clientHeight / H);
  };
  pz.set = function (scale, nx, ny) {
    s = Math.max(0.05, Math.min(pz.maxScale, scale)); x = nx; y = ny; apply();
  };
  pz.zoomBy = function (f, cx, cy) {  // keep the point (cx, cy) of the viewport where it is
    if (cx === undefined) { cx = viewport.clientWidth / 2; cy = viewport.clientHeight / 2; }
    var ns = Math.max(0.05, Math.min(pz.maxScale, s * f));
    pz.set(ns, cx - (cx - x) * ns / s, cy - (cy - y) * ns / s);
  };
  pz.center = function (scale) {  // the whole drawing centred where it fits, else its start
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    var nx = W * scale <= vw ? (vw - W * scale) / 2 : 0;
    var ny = H * scale <= vh ? (vh - H * scale) / 2 : Math.min(0, (vh - H * scale) / 2);
    pz.set(scale, nx, ny);
  };
  pz.fit = function () { pz.center(pz.fitScale()); };
  pz.actual = function () { pz.center(1); };
  pz.start = function () {
    pz.center(Math.min(opts.maxStart || 1.5, Math.max(pz.fitScale(), pz.readable)));
  };
  pz.follow = function (el) {  // el in view, at a readable scale, moved only when needed
    if (s < pz.readable) pz.set(pz.readable, x, y);
    var r = el.getBoundingClientRect(), v = viewport.getBoundingClientRect(), m = 24;
    var dx = 0, dy = 0;
    if (r.left < v.left + m || r.right > v.right - m)
      dx = v.left + v.width / 2 - (r.left + r.width / 2);
    if (r.top < v.top + m || r.bottom > v.bottom - m)
      dy = v.top + v.height / 2 - (r.top + r.height / 2);
    if (dx || dy) pz.set(s, x + dx, y + dy);
  };
  viewport.addEventListener("wheel", function (e) {
    e.preventDefault();
    var v = viewport.getBoundingClientRect();
    pz.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - v.left, e.clientY - v.top);
  }, {passive: false});
  var drag = null;
  viewport.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    drag = {px: e.clientX, py: e.clientY, x: x, y: y};
    viewport.setPointerCapture(e.pointerId); viewport.style.cursor = "grabbing";
    if (opts.ondrag) opts.ondrag();
  });
  viewport.addEventListener("pointermove", function (e) {
    if (drag) pz.set(s, drag.x + e.clientX - drag.px, drag.y + e.clientY - drag.py);
  });
  function end() { drag = null; viewport.style.cursor = "grab"; }
  viewport.addEventListener("pointerup", end);
  viewport.addEventListener("pointercancel", end);
  apply();
  return pz;
};
"""

# The step page: DATA (units, steps) applied to the one drawing. A unit is a box of the drawing
# (its SVG id, its op's id, the template texts of its data and gradient cells); a step lists its
# marked units, lit edges and the texts that change. The full state of every step is built once.
STEPPER = r"""
(function () {
  var D = JSON.parse(document.getElementById("steps-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var viewport = $("viewport"), slider = $("slider"), play = $("play"), timer = null, k = 0;
  var follow = $("follow"), locals = $("locals");
  var units = D.units.map(function (u) {
    var g = document.getElementById(u[0]);
    var texts = g ? [].slice.call(g.querySelectorAll("text")) : [];
    function find(t) { return t === null ? null : texts.filter(function (e) {
      return e.textContent === t; })[0] || null; }
    return {g: g, op: u[1] ? document.getElementById(u[1]) : null,
            data: find(u[2]), grad: find(u[3])};
  });
  var missing = D.units.filter(function (u, i) {
    return !units[i].g || (u[2] !== null && !units[i].data) || (u[3] !== null && !units[i].grad);
  }).length;
  document.body.dataset.missing = missing;
  var data = D.units.map(function (u) { return u[2]; });
  var grad = D.units.map(function (u) { return u[3]; });
  var done = [], phase = null, states = D.steps.map(function (st) {
    if (st.ph !== phase) { done = []; phase = st.ph; }
    Object.keys(st.d || {}).forEach(function (u) { data[u] = st.d[u]; });
    Object.keys(st.g || {}).forEach(function (u) { grad[u] = st.g[u]; });
    var state = {data: data.slice(), grad: grad.slice(), done: done.slice()};
    done = done.concat(st.cur);
    return state;
  });
  var lit = [];
  function mark(el, cls) { if (el) { el.classList.add(cls); lit.push([el, cls]); } }
  function setText(el, t) {
    if (!el || t === null || el.textContent === t) return;
    el.textContent = t; el.style.fill = /\?$/.test(t) ? "#9a9a9a" : "";
  }
  function show(i) {
    k = Math.max(0, Math.min(D.steps.length - 1, i));
    var st = D.steps[k], state = states[k];
    lit.forEach(function (p) { p[0].classList.remove(p[1]); }); lit = [];
    units.forEach(function (u, j) {
      setText(u.data, state.data[j]); setText(u.grad, state.grad[j]); });
    state.done.forEach(function (j) { mark(units[j].g, "step-done"); });
    st.in.forEach(function (j) { mark(units[j].g, "step-receiving"); });
    st.cur.forEach(function (j) {
      mark(units[j].g, "step-current"); mark(units[j].op, "step-current"); });
    st.e.forEach(function (id) { mark(document.getElementById(id), "step-edge"); });
    $("equation").textContent = st.eq;
    $("counter").textContent = st.t;
    D.legend[st.ph].forEach(function (t, j) { $("legend" + j).textContent = t; });
    slider.value = k; document.body.dataset.step = k; document.body.dataset.phase = st.ph;
    if (follow.checked && st.cur.length && units[st.cur[0]].g) pz.follow(units[st.cur[0]].g);
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "play"; }
  function go(i) { stop(); show(i); }
  var pz = window.chainrulePanZoom(viewport, {ondrag: function () { follow.checked = false; }});
  pz.start();
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (k === D.steps.length - 1) show(0);
    play.textContent = "pause";
    timer = setInterval(function () {
      if (k < D.steps.length - 1) show(k + 1); else stop(); }, D.interval);
  };
  $("first").onclick = function () { go(0); };
  $("prev").onclick = function () { go(k - 1); };
  $("next").onclick = function () { go(k + 1); };
  $("last").onclick = function () { go(D.steps.length - 1); };
  $("seed").onclick = function () { go(D.seed); };
  slider.oninput = function () { go(parseInt(slider.value, 10)); };
  $("zoom-in").onclick = function () { pz.zoomBy(1.25); };
  $("zoom-out").onclick = function () { pz.zoomBy(0.8); };
  $("fit").onclick = function () { follow.checked = false; pz.fit(); };
  $("actual").onclick = function () { pz.actual(); };
  follow.onchange = function () { show(k); };
  locals.onchange = function () { viewport.classList.toggle("no-locals", !locals.checked); };
  document.addEventListener("keydown", function (e) {
    if (e.target === slider && /Arrow|Home|End|Page/.test(e.key)) return;  // the slider's own
    var to = {ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: D.steps.length - 1,
              "0": D.seed}[e.key];
    if (to !== undefined) { e.preventDefault(); go(to); return; }
    if (e.key === "+" || e.key === "=") pz.zoomBy(1.25);
    else if (e.key === "-") pz.zoomBy(0.8);
    else if (e.key === "f") $("fit").onclick();
    else if (e.key === " ") { e.preventDefault(); play.onclick(); }
  });
  show(0);
})();
"""

PAGE_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0.6em 1em; color: #222; }
h1 { font-size: 1.15em; margin: 0 0 0.4em; }
.controls { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center; margin: 0.3em 0; }
.controls button { font-size: 15px; padding: 0.15em 0.7em; }
.controls label { font-size: 15px; }
#slider { flex: 1 1 12em; min-width: 8em; }
#counter { font-size: 15px; min-width: 12em; }
.legend { display: flex; gap: 1em; font-size: 14px; margin: 0.2em 0; }
.legend span::before { content: ""; display: inline-block; width: 1.1em; height: 0.8em;
  margin-right: 0.3em; border: 2px solid; vertical-align: middle; }
#legend0::before { background: #ff9f43; border-color: #c0392b; }
#legend1::before { background: #ffe8a3; border-color: #e67e22; border-style: dashed; }
#legend2::before { background: #cfe3f7; border-color: #5b8fc7; }
.viewport { height: calc(100vh - 13em); min-height: 260px; border: 1px solid #ccc;
  background: #fff; }
pre.equation { background: #f6f6f6; padding: 0.5em; margin: 0.4em 0 0; overflow-x: auto;
  font-size: 14px; white-space: pre; }
.viewport.no-locals g.edge text { display: none; }
/* a box's outline is its first polygon (or path, when rounded); later ones rule its cells */
g.step-done > polygon:first-of-type, g.step-done > path:first-of-type {
  fill: #cfe3f7; stroke: #5b8fc7; }
g.step-receiving > polygon:first-of-type, g.step-receiving > path:first-of-type {
  fill: #ffe8a3; stroke: #e67e22; stroke-width: 2.5; stroke-dasharray: 5 2; }
g.step-current > polygon:first-of-type, g.step-current > path:first-of-type,
g.step-current > ellipse { fill: #ff9f43; stroke: #c0392b; stroke-width: 3.5; }
g.edge.step-edge > path { stroke: #c0392b; stroke-width: 2.5; }
g.edge.step-edge > polygon { fill: #c0392b; stroke: #c0392b; }
"""
