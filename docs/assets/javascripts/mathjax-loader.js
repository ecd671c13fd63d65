// MathJax 3 for the notebooks' formulas, from the site itself: docs/hooks.py copies
// tex-svg-full.js (from the django-static-mathjax package) next to this file, so no page
// fetches anything from a CDN. The SVG output needs no web fonts.
(function () {
  if (window.chainruleMathJax) return; // a page may include this loader more than once
  window.chainruleMathJax = true;
  window.MathJax = {
    tex: {
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
    },
    svg: { fontCache: "global" },
    options: { enableMenu: false },
  };
  var script = document.createElement("script");
  script.src = new URL("mathjax/tex-svg-full.js", document.currentScript.src).href;
  script.async = true;
  document.head.appendChild(script);
})();
