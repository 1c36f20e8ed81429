/* widthprobe.js: appended to a copy of report.html by `make test-browser`
 * (report.html itself has no script). Writes what would be cut off at the
 * window's width into a <pre id="widthprobe"> that Chromium's --dump-dom
 * shows: the document's scroll width, and the elements that reach past the
 * right edge (or the left) other than the content of a .scroll box, which
 * scrolls inside its own box. */
(function () {
  var w = window.innerWidth, bad = [], all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length; i++) {
    var e = all[i], r = e.getBoundingClientRect();
    var inside = e.parentElement && e.parentElement.closest('.scroll');
    if (inside || r.width === 0) continue;
    if (r.right > w + 0.5 || r.left < -0.5) {
      var c = typeof e.className === 'string' && e.className ? '.' + e.className : '';
      bad.push(e.tagName.toLowerCase() + c + '@' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  var p = document.createElement('pre');
  p.id = 'widthprobe';
  p.textContent = 'innerWidth=' + w + ' scrollWidth=' + document.documentElement.scrollWidth +
    ' overflowing=' + bad.length + ' first=' + bad.slice(0, 5).join(',') + ' end';
  document.body.appendChild(p);
})();
