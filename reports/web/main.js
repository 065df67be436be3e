// The start: the nav (one link per view, in the order of their number keys), a section for each
// view the page does not already hold, every view drawn, the keys wired, and the page marked
// ready (the browser tests wait for data-report-ready).
(function () {
  const { el } = Report;
  const views = Report.views.slice().sort((a, b) => Number(a.key) - Number(b.key));
  const nav = document.getElementById("views");
  const main = document.querySelector("main");
  for (const v of views) {
    nav.appendChild(el("a", { href: "#" + v.name, "data-view-link": v.name, accesskey: v.key }, v.key + " " + v.title));
    if (!document.querySelector('section[data-view="' + v.name + '"]')) {
      const section = el("section", { "data-view": v.name, "aria-labelledby": v.name + "-title" });
      section.appendChild(el("h1", { id: v.name + "-title" }, v.title));
      main.appendChild(section);
    }
  }
  // Sections in the order of the nav.
  for (const v of views) main.appendChild(document.querySelector('section[data-view="' + v.name + '"]'));
  Report.drawTimeline();
  for (const v of views) v.render(document.querySelector('section[data-view="' + v.name + '"]'));

  // One view at a time, chosen by the location's hash. The nav links are plain links (Tab and
  // Enter reach every view); arrow keys on them, and the number keys anywhere, move between
  // views. A key a view handles itself (its step keys) it stops from reaching here.
  const links = Array.from(nav.querySelectorAll("[data-view-link]"));
  function show() {
    const names = links.map(a => a.dataset.viewLink);
    const name = names.includes(location.hash.slice(1)) ? location.hash.slice(1) : "summary";
    for (const s of document.querySelectorAll("section[data-view]")) s.hidden = s.dataset.view !== name;
    for (const a of links) {
      if (a.dataset.viewLink === name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
  }
  nav.addEventListener("keydown", e => {
    const i = links.indexOf(document.activeElement);
    if (i < 0 || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
    const next = links[(i + (e.key === "ArrowRight" ? 1 : links.length - 1)) % links.length];
    next.focus();
    location.hash = next.getAttribute("href");
    e.preventDefault();
  });
  document.addEventListener("keydown", e => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    if (e.target.closest && e.target.closest("input, select, textarea")) return;
    const link = links.find(a => a.textContent.startsWith(e.key + " "));
    if (link) location.hash = link.getAttribute("href");
  });
  const large = document.getElementById("large-type");
  large.addEventListener("click", () => {
    const on = document.documentElement.classList.toggle("large");
    large.setAttribute("aria-pressed", on ? "true" : "false");
  });
  window.addEventListener("hashchange", show);
  show();
  Report.setCursor(0);
  document.body.setAttribute("data-report-ready", "true");
})();
