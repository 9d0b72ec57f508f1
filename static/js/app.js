// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // Show a form part only for the choices it belongs to (data-show-when="field" data-show-values="a b").
  document.querySelectorAll("[data-show-when]").forEach((part) => {
    const control = part.closest("form")?.elements[part.dataset.showWhen];
    if (!control) return;
    const values = part.dataset.showValues.split(" ");
    const update = () => { part.hidden = !values.includes(control.value); };
    control.addEventListener("change", update);
    update();
  });
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("submit", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });

  // The main menu folds behind its button on a narrow screen (the stylesheet decides when);
  // Escape closes it and gives the focus back to the button.
  const toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    const setOpen = (open) => toggle.setAttribute("aria-expanded", String(open));
    toggle.hidden = false;
    toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // A table wider than the screen scrolls in its box: fade the edge that hides more columns, and let the
  // keyboard scroll the box (a focusable region named after the table's caption or section heading).
  const wraps = document.querySelectorAll(".table-wrap");
  const mark = (wrap) => {
    const hidden = wrap.scrollWidth - wrap.clientWidth;
    wrap.classList.toggle("more-right", hidden > 1 && wrap.scrollLeft < hidden - 1);
    if (hidden > 1 && !wrap.hasAttribute("tabindex")) {
      const name = wrap.querySelector("caption") || wrap.closest("section")?.querySelector("h1, h2, h3");
      wrap.tabIndex = 0;
      if (name) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name.textContent.trim());
      }
    }
  };
  wraps.forEach((wrap) => {
    mark(wrap);
    wrap.addEventListener("scroll", () => mark(wrap), { passive: true });
  });
  window.addEventListener("resize", () => wraps.forEach(mark));
});
