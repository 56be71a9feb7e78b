// Marks each clip with data-loaded="yes"/"no" once the page has loaded, and makes a missing
// clip say so instead of showing a broken image (the browser test reads these marks).
(function () {
  function mark(el, ok) {
    el.setAttribute("data-loaded", ok ? "yes" : "no");
    if (ok) return;
    el.hidden = true;
    var msg = el.closest("figure").querySelector("p.missing");
    if (msg) msg.hidden = false;
  }
  window.addEventListener("load", function () {
    document.querySelectorAll("figure.candidate img.clip").forEach(function (img) {
      mark(img, img.complete && img.naturalWidth > 0);
    });
    document.querySelectorAll("figure.candidate video.clip").forEach(function (video) {
      if (video.readyState >= 1) { mark(video, true); return; }
      if (video.error) { mark(video, false); return; }
      video.addEventListener("loadedmetadata", function () { mark(video, true); }, { once: true });
      video.addEventListener("error", function () { mark(video, false); }, { once: true });
    });
  });
})();
