// The site's Graphviz drawings at a readable size: each one wider than its column goes into a
// pan-and-zoom viewport (drag, wheel, the -, +, fit and 1:1 buttons), opening at the scale
// where its text is 12 CSS px or more (never shrunk below it); a smaller one keeps its natural
// size. window.chainrulePanZoom comes from panzoom.js, which docs/hooks.py writes from
// autograd/viz/pagescript.py (the step page's own pan and zoom).
(function () {
  function setup() {
    var svgs = [].filter.call(document.querySelectorAll(".md-content svg"), function (svg) {
      return svg.querySelector(":scope > g.graph") && !svg.closest(".chainrule-viewport");
    });
    svgs.forEach(function (svg) {
      var box = svg.viewBox.baseVal, W = box.width * 4 / 3, H = box.height * 4 / 3;
      var holder = svg.parentElement, room = holder.clientWidth || 600;
      svg.style.maxWidth = "none";
      if (W <= room) {  // fits at its natural size: shown so, never squeezed
        svg.setAttribute("width", W + "px"); svg.setAttribute("height", H + "px");
        return;
      }
      var viewport = document.createElement("div");
      viewport.className = "chainrule-viewport";
      holder.insertBefore(viewport, svg);
      viewport.appendChild(svg);
      var bar = document.createElement("div");
      bar.className = "chainrule-zoombar";  // above the drawing (extra.css styles it)
      bar.style.cssText = "position: absolute; top: 4px; right: 4px; z-index: 2; display: flex";
      [["\u2212", "zoom out", 0.8], ["+", "zoom in", 1.25], ["fit", "the whole drawing"],
       ["1:1", "natural size"]].forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button"; button.textContent = b[0]; button.title = b[1];
        button.dataset.zoom = b[0];
        bar.appendChild(button);
      });
      viewport.appendChild(bar);
      var pz = window.chainrulePanZoom(viewport, {maxStart: 1});
      var scale = Math.min(1, Math.max(pz.fitScale(), pz.readable));
      viewport.style.height = Math.min(H * scale + 8, window.innerHeight * 0.8) + "px";
      pz.start();
      bar.addEventListener("pointerdown", function (e) { e.stopPropagation(); });
      bar.addEventListener("click", function (e) {
        var which = e.target.dataset && e.target.dataset.zoom;
        if (which === "+") pz.zoomBy(1.25);
        else if (which === "\u2212") pz.zoomBy(0.8);
        else if (which === "fit") pz.fit();
        else if (which === "1:1") pz.actual();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
